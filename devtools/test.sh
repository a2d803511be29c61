#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
#
# The README's test command: set up the machine, configure with warnings as
# errors, build, run every meson test suite (unit and integration).
#   devtools/test.sh [build-dir] [extra meson test arguments...]
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$top/build}
shift || true

"$top/devtools/setup.sh"
# A DPDK process that dies under --no-huge -m 1024 dumps a gigabyte of core
# (core_pattern /tmp/core.%p here); a failing run must not fill the disk.
ulimit -c 0
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$top" -Dwerror=true
fi
ninja -C "$build"
meson test -C "$build" --print-errorlogs "$@"
