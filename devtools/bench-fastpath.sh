#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
#
# Benchmark (prints figures, asserts nothing): the fast path of upstream
# net_mlx4 against mlx4r's, on the same fake mlx4 rings
# (app/bench/fastpath/). Upstream's drivers/net/mlx4/mlx4_rxtx.c comes
# from Debian's dpdk source package of the installed DPDK, fetched here as
# the SDK headers are (devtools/get-dpdk-sdk.sh), never committed. Both
# drivers are compiled with the same flags (-O3, and DPDK's pkg-config
# flags: -march=corei7 on Debian, rte_config.h).
#
#   devtools/bench-fastpath.sh [rounds] [bursts-per-round]
#
# Prints cycles per packet per round and their medians (rounds alternate
# the drivers), then instructions per packet from callgrind when valgrind
# is installed (one run per driver and path, the burst function and what
# it calls counted). Environment: MLX4_UPSTREAM_SRC (a directory holding
# upstream's mlx4 sources instead of the fetched ones), CC.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-31}
iters=${2:-2000}
cc=${CC:-gcc}

src=${MLX4_UPSTREAM_SRC:-}
if [ -z "$src" ]; then
	inc=$("$top/devtools/get-dpdk-sdk.sh")
	src=$(dirname "$inc")/src/drivers/net/mlx4
	if [ ! -f "$src/mlx4_rxtx.c" ]; then
		# a cache filled before the sources were kept: fetch again
		inc=$("$top/devtools/get-dpdk-sdk.sh" --force)
	fi
fi
[ -f "$src/mlx4_rxtx.c" ] || { echo "no upstream mlx4_rxtx.c in $src" >&2; exit 1; }
sdk=$("$top/devtools/get-dpdk-sdk.sh" --print)

work=$(mktemp -d /tmp/mlx4r-fp.XXXXXX)
trap 'rm -rf "$work"' EXIT
# upstream's meson writes mlx4_autoconf.h from what mlx4dv.h offers;
# rdma-core 44 has all three
cat >"$work/mlx4_autoconf.h" <<'H'
#define HAVE_IBV_MLX4_WQE_LSO_SEG 1
#define HAVE_IBV_MLX4_BUF_ALLOCATORS 1
#define HAVE_IBV_MLX4_UAR_MMAP_OFFSET 1
H
flags=(-O3 -g -std=gnu11 -Wno-address-of-packed-member -DALLOW_EXPERIMENTAL_API -DALLOW_INTERNAL_API
	$(pkg-config --cflags libdpdk) -I"$sdk" -I"$top/app/bench/fastpath")
fp=$top/app/bench/fastpath
"$cc" "${flags[@]}" -w -I"$work" -I"$src" -c "$src/mlx4_rxtx.c" -o "$work/up_rxtx.o"
"$cc" "${flags[@]}" -Wall -I"$work" -I"$src" -c "$fp/fp_upstream.c" -o "$work/fp_upstream.o"
"$cc" "${flags[@]}" -Wall -I"$top/drivers/net/mlx4r" \
	-c "$top/drivers/net/mlx4r/mlx4r_rxtx.c" -o "$work/our_rxtx.o"
"$cc" "${flags[@]}" -Wall -I"$top/drivers/net/mlx4r" \
	-c "$fp/fp_mlx4r.c" -o "$work/fp_mlx4r.o"
"$cc" "${flags[@]}" -Wall -c "$fp/fp_dev.c" -o "$work/fp_dev.o"
"$cc" "${flags[@]}" -Wall -c "$fp/fp_main.c" -o "$work/fp_main.o"
"$cc" -o "$work/fp-bench" "$work"/*.o $(pkg-config --libs libdpdk)

eal=(--no-huge -m 512 --no-pci --no-telemetry -l 0 --file-prefix "fp$$"
	--log-level 'lib.*:error')
echo "upstream: $src/mlx4_rxtx.c (DPDK $(pkg-config --modversion libdpdk)); mlx4r: $(git -C "$top" describe --always --dirty 2>/dev/null || echo tree)"
"$work/fp-bench" "${eal[@]}" -- --rounds "$rounds" --iters "$iters"

if ! command -v valgrind >/dev/null; then
	echo "instructions/packet: skipped (valgrind not installed)"
	exit 0
fi
echo "instructions/packet (callgrind, burst functions inclusive, 32-packet bursts):"
n=2000
for path in rx tx; do
	for drv in upstream mlx4r; do
		case $drv/$path in
		upstream/rx) fn=mlx4_rx_burst ;;
		upstream/tx) fn=mlx4_tx_burst ;;
		mlx4r/rx) fn=mlx4r_rx_burst ;;
		mlx4r/tx) fn=mlx4r_tx_burst ;;
		esac
		out=$work/cg.$drv.$path
		valgrind --tool=callgrind --collect-atstart=no \
			--toggle-collect="$fn" --callgrind-out-file="$out" \
			"$work/fp-bench" "${eal[@]}" -- --only "$drv" \
			--path "$path" --iters "$n" >/dev/null 2>&1
		ir=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$out" | head -1)
		printf '  %-8s %s: %6.1f\n' "$drv" "$path" \
			"$(echo "$ir / ($n * 32)" | bc -l)"
	done
done
