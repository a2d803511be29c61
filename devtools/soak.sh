#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
#
# The soak benchmark (issue 12, Deliver 4; not part of CI): injects at
# least <faults> faults of every kind, under full load, half in passive and
# half in proactive mode, in batches of <batch> faults, one process each
# (the command mlx4r_soak of the unit test binary, app/test/test_mlx4r_soak.c),
# so that a crash or a hang ends a batch, not the count. Prints the totals
# as the table of doc/guides/nics/mlx4r_reset.rst ("Soak").
#   devtools/soak.sh [build-dir] [faults] [batch]
# SOAK_ENGINE=thread in the environment: the emulated device's engine on
# its own thread (devarg engine=thread) instead of the bursts' hooks.
# A hang is a batch that did not end within 30 s of a fault (the command
# says so) or within the batch timeout (killed); a crash is a batch killed
# by any other signal.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$top/build}
target=${2:-10000}
batch=${3:-600}
bin="$build/app/test/mlx4r-test"
[ -x "$bin" ] || { echo "soak: no $bin (build first)" >&2; exit 1; }
ulimit -c 0

faults=0 resets=0 recovered=0 failed=0 operator=0 worst=0 leaked=0 deaf=0
hangs=0 crashes=0 errors=0 batches=0 secs=0
declare -A mfaults=([passive]=0 [proactive]=0)
log=$(mktemp /tmp/mlx4r-soak.XXXXXX)
t0=$(date +%s)
while [ "$faults" -lt "$target" ]; do
	if [ $((batches % 2)) -eq 0 ]; then mode=passive; else mode=proactive; fi
	# 9 kinds per cycle, 12 faults per cycle (3 kinds come with a fatal)
	iters=$(( (batch * 9 + 11) / 12 ))
	SOAK_MODE=$mode SOAK_FAULTS=$iters timeout -s KILL 900 "$bin" \
		--no-huge -m 256 --no-pci -l 0-1 --log-level=pmd.net.mlx4r*:warning \
		--file-prefix="mlx4r_soak_$$" -- mlx4r_soak >"$log" 2>&1
	rc=$?
	batches=$((batches + 1))
	line=$(grep '^SOAK ' "$log" | tail -1)
	grep '^SOAK-ERROR' "$log" | head -3
	if [ -z "$line" ]; then
		if [ "$rc" -eq 137 ] || grep -q 'no end in' "$log"; then
			hangs=$((hangs + 1)); what=hang
		else
			crashes=$((crashes + 1)); what=crash
		fi
		echo "batch $batches ($mode): $what (exit $rc), log kept: $log.$batches"
		cp "$log" "$log.$batches"
		continue
	fi
	get() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$line"; }
	# a sanitizer's report (ASan build: leaks at exit) fails the exit
	if [ "$rc" -ne 0 ] && [ "$(get errors)" -eq 0 ] &&
	   [ "$(get leaked)" -eq 0 ] && [ "$(get deaf)" -eq 0 ]; then
		errors=$((errors + 1))
		echo "batch $((batches)) ($mode): exit $rc after its figures, log kept: $log.$batches"
		cp "$log" "$log.$batches"
	fi
	f=$(get faults)
	faults=$((faults + f)); mfaults[$mode]=$((mfaults[$mode] + f))
	resets=$((resets + $(get resets)))
	recovered=$((recovered + $(get recovered)))
	failed=$((failed + $(get failed)))
	operator=$((operator + $(get operator)))
	leaked=$((leaked + $(get leaked)))
	deaf=$((deaf + $(get deaf)))
	hangs=$((hangs + $(get hangs)))
	errors=$((errors + $(get errors)))
	w=$(get worst_us); [ "$w" -gt "$worst" ] && worst=$w
	echo "batch $batches ($mode): $line"
done
rm -f "$log"
secs=$(( $(date +%s) - t0 ))
printf '\nsoak: %d batches, %d s, engine %s\n' "$batches" "$secs" "${SOAK_ENGINE:-hook}"
printf '%-28s %s\n' "faults injected" "$faults (passive ${mfaults[passive]}, proactive ${mfaults[proactive]})" \
	"resets" "$resets" "recovered" "$recovered" \
	"failed (then operator reset)" "$failed ($operator)" \
	"worst recovery time" "$worst us" "mbufs leaked" "$leaked" \
	"ports left deaf" "$deaf" "crashes" "$crashes" "hangs" "$hangs" \
	"other errors" "$errors"
[ $((leaked + deaf + crashes + hangs + errors)) -eq 0 ]
