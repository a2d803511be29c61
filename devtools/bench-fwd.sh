#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
#
# Benchmark (prints figures, asserts nothing): stock dpdk-testpmd io
# forwarding on one forwarding lcore between two ports, 64-byte frames,
# for mlx4r (the emulated device's generator + checker wire), net_null and
# net_ring in the same run; then dpdk-test's pmd_perf_autotest cycles per
# packet for mlx4r and net_null.
#
#   devtools/bench-fwd.sh [seconds] [nohuge|huge|both]
#
# Each figure is the best of BENCH_ROUNDS (default 3) rounds; a round runs
# the drivers back to back, and prints its own ratio, so that load from
# other processes shows.
#
# 'huge' reserves 2 MB hugepages (root) on a private hugetlbfs mount and
# gives them back at the end; when they cannot be reserved it says so and
# runs without. Environment: MLX4R_BUILD (build directory, default build),
# TESTPMD, DPDK_TEST (tool paths).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(realpath "${MLX4R_BUILD:-$top/build}")
seconds=${1:-5}
modes=${2:-both}
rounds=${BENCH_ROUNDS:-3}
testpmd=${TESTPMD:-dpdk-testpmd}
dpdk_test=${DPDK_TEST:-dpdk-test}
plugin_dir=$build/drivers/net/mlx4r

if [ ! -f "$plugin_dir/librte_net_mlx4r.so" ]; then
	echo "no $plugin_dir/librte_net_mlx4r.so: build first (MLX4R_BUILD)" >&2
	exit 1
fi
export LD_LIBRARY_PATH=$plugin_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# EAL refuses a -d path under a world-writable directory: load the plugin
# by bare name from a directory that does not hold it.
cd /

# shellcheck source=devtools/bench-huge.sh
. "$top/devtools/bench-huge.sh"
trap huge_release EXIT

# testpmd io forwarding; prints "<label> <Mpps>" (Rx-pps of both ports,
# averaged over the measuring interval, as testpmd computes it).
fwd() {
	local label=$1 mem=$2; shift 2
	local out pps
	out=$({
		echo "set fwd io"
		echo "start $START_ARGS"
		sleep 1
		echo "show port stats all"
		sleep "$seconds"
		echo "show port stats all"
		echo "stop"
		echo "quit"
	} | stdbuf -oL "$testpmd" -l 0-1 $mem --no-pci \
		--file-prefix=mlx4r_bench "$@" -- -i --nb-cores=1 \
		--rxq=1 --txq=1 --txpkts=64 --burst=32 \
		--total-num-mbufs=16384 --no-mlockall 2>&1)
	# the second 'show port stats all': the last two Rx-pps lines
	pps=$(echo "$out" | sed -n 's/.*Rx-pps: *\([0-9]*\).*/\1/p' | tail -2 |
	      awk '{ s += $1 } END { printf "%.2f", s / 1e6 }')
	if [ "$pps" = "0.00" ]; then
		echo "$out" | tail -40 >&2
	fi
	echo "$label $pps"
}

# One round: the three drivers back to back (so that they share the
# machine's load of the moment); BENCH_ROUNDS rounds, best of each kept.
fwd_set() {
	local mem=$1 what=$2 r null ring m
	local bnull=0 bm=0 bring=0
	echo "== testpmd io forwarding, 1 forwarding lcore, 2 ports, 64 B," \
		"$seconds s each, $what, best of $rounds rounds"
	for r in $(seq "$rounds"); do
		START_ARGS=
		null=$(fwd net_null "$mem" --vdev net_null0 --vdev net_null1 |
		       awk '{ print $2 }')
		m=$(fwd mlx4r "$mem" -d librte_net_mlx4r.so \
			--vdev net_mlx4r0,ports=2,gen_size=60 | awk '{ print $2 }')
		# net_ring: each port's Tx ring is its own Rx ring; 'start
		# tx_first 8' puts 8 bursts of 32 frames per port in flight,
		# io forwarding keeps them circulating.
		START_ARGS="tx_first 8"
		ring=$(fwd net_ring "$mem" --vdev net_ring0 --vdev net_ring1 |
		       awk '{ print $2 }')
		awk -v r="$r" -v m="$m" -v n="$null" -v g="$ring" 'BEGIN {
			printf "  round %d: net_null %.2f, mlx4r %.2f, net_ring %.2f Mpps, mlx4r / net_null %.2f\n",
			       r, n, m, g, (n > 0 ? m / n : 0) }'
		bnull=$(awk -v a="$bnull" -v b="$null" 'BEGIN { print (b > a) ? b : a }')
		bm=$(awk -v a="$bm" -v b="$m" 'BEGIN { print (b > a) ? b : a }')
		bring=$(awk -v a="$bring" -v b="$ring" 'BEGIN { print (b > a) ? b : a }')
	done
	printf "  best: %-10s %8s Mpps\n" net_null "$bnull" mlx4r "$bm" \
		net_ring "$bring"
	awk -v m="$bm" -v n="$bnull" -v r="$bring" 'BEGIN {
		if (n > 0)
			printf "  best mlx4r / best net_null = %.2f, net_ring / net_null = %.2f\n",
			       m / n, r / n }'
}

perf_one() {
	local mem=$1; shift
	DPDK_TEST=pmd_perf_autotest "$dpdk_test" -l 0-1 $mem --no-pci \
		--file-prefix=mlx4r_bench "$@" 2>&1 |
		sed -n 's/.*Result: \([0-9]*\) cycles per packet.*/\1/p' | tail -1
}

perf_set() {
	local mem=$1 what=$2 r null m bnull= bm=
	echo "== dpdk-test pmd_perf_autotest (one port, Rx + Tx on one lcore)," \
		"$what, best of $rounds rounds"
	for r in $(seq "$rounds"); do
		null=$(perf_one "$mem" --vdev net_null0)
		m=$(perf_one "$mem" -d librte_net_mlx4r.so --vdev net_mlx4r0)
		echo "  round $r: net_null ${null:-n/a}, mlx4r ${m:-n/a} cycles/packet"
		if [ -n "$null" ] && { [ -z "$bnull" ] || [ "$null" -lt "$bnull" ]; }; then
			bnull=$null
		fi
		if [ -n "$m" ] && { [ -z "$bm" ] || [ "$m" -lt "$bm" ]; }; then
			bm=$m
		fi
	done
	printf "  best: %-10s %8s cycles/packet\n" net_null "${bnull:-n/a}" \
		mlx4r "${bm:-n/a}"
}

nohuge="--no-huge -m 1024"
if [ "$modes" = nohuge ] || [ "$modes" = both ]; then
	fwd_set "$nohuge" "no hugepages (--no-huge -m 1024)"
	perf_set "$nohuge" "no hugepages"
fi
if [ "$modes" = huge ] || [ "$modes" = both ]; then
	if huge_reserve; then
		hmem="-m 1024 --huge-dir $huge_dir"
		fwd_set "$hmem" "2 MB hugepages"
		perf_set "$hmem" "2 MB hugepages"
	else
		echo "== hugepages not used: see above"
	fi
fi
