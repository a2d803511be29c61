#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
#
# Build the libFuzzer targets of app/fuzz with clang, ASan and UBSan, and
# run each for a bounded time from its seed corpus:
#   devtools/fuzz.sh [build-dir] [seconds per target] [target...]
# (defaults: build-fuzz, 25 s, every target). New inputs go to
# <build-dir>/fuzz-corpus/<target>, findings to
# <build-dir>/fuzz-artifacts/<target>-crash-*; the tree's corpora are
# only read. Exit status 1 when a target crashed, broke an invariant,
# leaked or raised a sanitizer report (its last lines are printed).
# Reproduce a finding with: <build-dir>/app/fuzz/mlx4r-fuzz-<target> <file>
# (a failed target's new findings are printed in base64 too, so that a CI
# log, whose machine keeps no files, holds the input).
# MLX4R_FUZZ_TRACE=1 in the environment traces the emu_tx target's
# operations and the CQEs its reference model expects.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$top/build-fuzz}
secs=${2:-25}
shift 2 || shift $# || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	targets=(devargs fault_sched telemetry emu_tx)
fi

ulimit -c 0
if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$top" -Dwerror=true -Dfuzz=true \
		-Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
		-Db_lundef=false -Dtests=disabled -Dverbs=disabled \
		-Dintegration_tests=disabled
fi
ninja -C "$build"
# Every seed once first: the inputs that once crashed stay fixed.
meson test -C "$build" --suite fuzz --print-errorlogs

# Every UBSan finding is fatal (libFuzzer then keeps the input); leaks
# are checked per input and at exit.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
mkdir -p "$build/fuzz-artifacts"
failed=()
for t in "${targets[@]}"; do
	exe=$build/app/fuzz/mlx4r-fuzz-$t
	work=$build/fuzz-corpus/$t
	log=$build/fuzz-artifacts/$t.log
	mkdir -p "$work"
	mark=$build/fuzz-artifacts/.start-$t
	touch "$mark"
	echo "fuzz: $t for ${secs} s" >&2
	if "$exe" -max_total_time="$secs" -print_final_stats=1 -error_exitcode=1 \
		-artifact_prefix="$build/fuzz-artifacts/$t-" \
		"$work" "$top/app/fuzz/$t/corpus" >"$log" 2>&1; then
		grep -E '^stat::number_of_executed_units|^Done' "$log" | \
			sed "s/^/fuzz: $t: /" >&2 || true
	else
		echo "fuzz: $t FAILED (log $log):" >&2
		grep -v '^    #' "$log" | tail -25 >&2
		# The input itself, for a CI machine whose files are gone
		# with it: small enough to print (at most 64 KB of them).
		find "$build/fuzz-artifacts" -maxdepth 1 -type f \
			-name "$t-*" -newer "$mark" -size -65k -print0 |
		while IFS= read -r -d '' a; do
			echo "fuzz: $t: $(basename "$a"), $(stat -c %s "$a") bytes; to reproduce: base64 -d > in <<EOF, then $exe in" >&2
			base64 -w 76 "$a" >&2
			echo "EOF" >&2
		done
		failed+=("$t")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: failed: ${failed[*]}" >&2
	exit 1
fi
echo "fuzz: ${targets[*]}: no crash, no sanitizer report" >&2
