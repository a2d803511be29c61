#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
#
# The main job until the forwarding application exists: stock dpdk-testpmd
# forwarding (io mode) between the two ports of one emulated ConnectX-3 whose
# wires are the built-in traffic generator + checker (the default), for a
# few seconds, then its port statistics and the driver's xstats.
#   devtools/run-testpmd.sh [seconds]
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${MLX4R_BUILD:-$top/build}
seconds=${1:-5}

"$top/devtools/setup.sh"
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$top" -Dwerror=true >/dev/null
fi
ninja -C "$build" >/dev/null

# EAL refuses a -d path under a world-writable directory: load the plugin by
# bare name through LD_LIBRARY_PATH from a directory that does not hold it.
plugin_dir=$build/drivers/net/mlx4r
cd /
{
	echo "set fwd io"
	echo "start"
	sleep "$seconds"
	echo "stop"
	echo "show port stats all"
	echo "show port xstats all"
	echo "quit"
} | LD_LIBRARY_PATH=$plugin_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
	stdbuf -oL dpdk-testpmd -l 0-1 --no-huge -m 1024 --no-pci \
	--file-prefix=mlx4r_main -d librte_net_mlx4r.so \
	--vdev net_mlx4r0,ports=2 -- -i --total-num-mbufs=16384 --no-mlockall
