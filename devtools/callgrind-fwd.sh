#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
#
# Instructions per forwarded frame, per function, of stock dpdk-testpmd
# io forwarding through mlx4r on the emulated device (2 ports, generator +
# checker wires, 60-byte frames, one forwarding lcore), counted by
# valgrind --tool=callgrind (the machine's load does not change them).
# Prints figures, asserts nothing.
#
#   MLX4R_BUILD=build devtools/callgrind-fwd.sh [seconds] [outprefix]
#
# CG_LOOP=1: the looping forward of bench-all.sh instead (wire=xconnect,
# 'start tx_first': testpmd's first burst goes round between the two
# ports, each port's Tx engine delivering into the other's Rx engine);
# CG_SIZE: its frame size (default 64).
#
# seconds: how long testpmd forwards under valgrind (default 40; about
# 10^5 frames per 3 s on a 2-core guest). outprefix: where the callgrind
# file (<outprefix>.cg) and testpmd's output (<outprefix>.log) go
# (default /tmp/mlx4r-cgfwd). Run it through devtools' private runtime
# directory wrapper when other DPDK processes share the machine.
set -e
seconds=${1:-40}
out=${2:-/tmp/mlx4r-cgfwd}
build=${MLX4R_BUILD:-build}
testpmd=${TESTPMD:-dpdk-testpmd}
plugin_dir=$(realpath "$build/drivers/net/mlx4r")
if [ ! -e "$plugin_dir/librte_net_mlx4r.so" ]; then
	echo "no $plugin_dir/librte_net_mlx4r.so: build first (MLX4R_BUILD)" >&2
	exit 1
fi
if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate \
		>/dev/null; then
	echo "valgrind (callgrind) not installed: skipped" >&2
	exit 0
fi
vdev="net_mlx4r0,ports=2,gen_size=60" start=start size=64
if [ "${CG_LOOP:-0}" = 1 ]; then
	vdev="net_mlx4r0,ports=2,wire=xconnect" start="start tx_first"
	size=${CG_SIZE:-64}
fi
export LD_LIBRARY_PATH=$plugin_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# EAL refuses a -d path under a world-writable directory: bare name.
cd /
{
	echo "set fwd io"
	echo "$start"
	sleep "$seconds"
	echo "stop"
	echo "quit"
} | valgrind --tool=callgrind --callgrind-out-file="$out.cg" \
	"$testpmd" -l 0-1 --no-huge -m 512 --no-pci \
	--file-prefix=mlx4r_cgfwd -d librte_net_mlx4r.so \
	--vdev "$vdev" -- -i --nb-cores=1 \
	--rxq=1 --txq=1 --txpkts="$size" --burst=32 --total-num-mbufs=16384 \
	--no-mlockall > "$out.log" 2>&1
frames=$(grep -A1 "Accumulated forward" "$out.log" |
	 sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p')
if [ -z "$frames" ] || [ "$frames" = 0 ]; then
	tail -20 "$out.log" >&2
	echo "no frames forwarded" >&2
	exit 1
fi
echo "instructions per forwarded frame (self cost; $frames frames):"
# Only the function summary (--auto=no: a -g build would otherwise add
# annotated source lines, whose counts matched too). Each row is
# "count (pct) file:function [object]"; a -g build splits a function into
# one row per source file its code came from (inlined headers:
# rte_byteorder.h:emu_tx_run), so rows are summed by function name.
callgrind_annotate --auto=no --threshold=100 "$out.cg" 2>/dev/null |
awk -v n="$frames" '
/^ *[0-9,]+ +\( *[0-9.]+%\) +[^ ]/ {
	c = $1; gsub(",", "", c)
	f = $0; sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, "", f)
	sub(/ .*/, "", f); sub(/.*:/, "", f)
	if (f !~ /^(emu_|mlx4r_)|memcpy|memmove/)
		next
	self[f] += c
	if (f ~ /^emu_|memcpy|memmove/) model += c; else drv += c
}
END {
	# a sort key first: functions by cost, then the three totals
	for (f in self)
		if (self[f] / n >= 0.5)
			printf "%f|  %-30s %7.1f\n", self[f] / n, f, self[f] / n
	printf "-1|  %-30s %7.1f\n", "device model (emu_*, memcpy)", model / n
	printf "-2|  %-30s %7.1f\n", "driver (mlx4r_*)", drv / n
	printf "-3|  %-30s %7.1f\n", "total", (model + drv) / n
}' | sort -t'|' -k1,1gr | cut -d'|' -f2-
