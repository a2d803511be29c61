#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
#
# Install what building, testing and running mlx4r needs on Debian 12
# (DPDK 22.11) or Debian 13 (DPDK 24.11: the same package names), then
# fetch DPDK's driver-SDK headers for the installed DPDK (a fallback
# directory for them, when the source package cannot be had:
# $MLX4R_SDK_FALLBACK, see get-dpdk-sdk.sh). Non-interactive
# and idempotent: when everything is present it only checks (about a
# second). Run as root, or as a user with sudo.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

packages=(
	# DPDK 22.11: libraries + pkg-config file, runtime PMDs and tools
	# (dpdk-testpmd, dpdk-test, dpdk-proc-info, dpdk-telemetry.py)
	libdpdk-dev dpdk dpdk-dev
	# rdma-core: verbs and mlx4dv headers, the mlx4 provider
	libibverbs-dev ibverbs-providers rdma-core
	# the emulated ConnectX-3's kernel face (devtools/with-emu-cx3.sh):
	# its tests run rdma-core's ibv_devices and ibv_devinfo
	ibverbs-utils
	# build
	gcc libc6-dev meson ninja-build pkg-config
	# devtools/get-dpdk-sdk.sh: apt-get source needs dpkg-dev, tar needs xz
	dpkg-dev xz-utils ca-certificates
	# tests: the integration suites are Python, stdbuf comes from coreutils;
	# the TAP wire's tests use ip(8) and network namespaces
	python3 coreutils iproute2
	# the forwarding application's throughput plot
	gnuplot-nox
	# sanitizer build
	libasan8 libubsan1
	# the model check of the reset protocol (drivers/net/mlx4r/model)
	spin
	# the integration harness's backtraces of a process that missed its
	# deadline (kface_mp.py where_is())
	gdb
	# install and package tests (app/test/integration/install.py):
	# dpdk-pmdinfo.py reads ELF with pyelftools; dpkg-buildpackage of
	# debian/ needs debhelper (and build-essential); lintian checks the
	# packages
	python3-pyelftools build-essential debhelper lintian
	# devtools/ci-debian13.sh: a Debian 13 root for the DPDK 24.11 CI phase
	debootstrap
)
# Fuzzers (devtools/fuzz.sh, -Dfuzz=true): clang and its runtimes
# (libFuzzer, ASan, UBSan for clang), which clang only recommends. The
# runtime package carries clang's major version (14 on Debian 12, 19 on
# Debian 13). Installed on Debian 12, where CI fuzzes; the Debian 13 CI
# phase runs the test command only, which needs no clang.
. /etc/os-release
case "${VERSION_CODENAME:-}" in
bookworm) packages+=(clang libclang-rt-14-dev) ;;
*) ;;
esac

sudo=
if [ "$(id -u)" -ne 0 ]; then
	sudo=sudo
fi

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q
	$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

"$here/get-dpdk-sdk.sh" >/dev/null
echo "setup: ready (DPDK $(pkg-config --modversion libdpdk), SDK headers in $("$here/get-dpdk-sdk.sh" --print))" >&2
