#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
#
# The main job: mlx4r-fwd forwarding between the two ports of one emulated
# ConnectX-3 (each fed by the built-in generator, checked by its checker)
# for about ten seconds, with a catastrophic error and an operator reset
# injected, in proactive recovery mode; prints the report and writes
# report.json, timeline.csv and throughput.png under build/main-job/.
#   devtools/run-main.sh [seconds] [extra mlx4r-fwd options]
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${MLX4R_BUILD:-$top/build}
seconds=${1:-10}
shift || true

"$top/devtools/setup.sh"
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$top" -Dwerror=true >/dev/null
fi
ninja -C "$build" >/dev/null

out=$build/main-job
mkdir -p "$out"
# faults at 30 % and 60 % of the run
t1=$(awk "BEGIN { print $seconds * 0.3 }")
t2=$(awk "BEGIN { print $seconds * 0.6 }")
cd /
exec "$build/app/mlx4r-fwd/mlx4r-fwd" -l 0-1 --no-huge -m 1024 --no-pci \
	--file-prefix=mlx4r_main -- \
	--duration "$seconds" --recovery proactive --rate 1000000 \
	--fault "$t1:0:fatal" --fault "$t2:1:reset" \
	--json "$out/report.json" --csv "$out/timeline.csv" \
	--plot "$out/throughput.png" "$@"
