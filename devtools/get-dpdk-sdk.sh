#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
#
# Obtain DPDK's driver-SDK headers (ethdev_driver.h, ethdev_vdev.h, ...) for
# exactly the libdpdk version installed on this machine, from Debian's "dpdk"
# source package. Debian's libdpdk-dev is built without the driver SDK, so
# these headers are not installed; they are however part of the source
# package of the same version, which apt can fetch from the Debian mirror the
# system already uses.
#
# The system's apt configuration is never touched: a private deb-src list, a
# private lists directory and a private archive directory are passed to
# apt-get with -o options. Only the needed headers are extracted, into
#   ${MLX4R_SDK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mlx4r}/dpdk-sdk-<version>/include
# which meson finds on its own (see meson.build), and upstream net_mlx4's
# sources into .../dpdk-sdk-<version>/src/drivers/net/mlx4 for the
# fast-path benchmark (devtools/bench-fastpath.sh). Nothing lands in git.
#
# Usage: get-dpdk-sdk.sh            fetch if missing, print the include dir
#        get-dpdk-sdk.sh --print    print the include dir if it is complete,
#                                   exit 1 otherwise (used by meson)
#        get-dpdk-sdk.sh --force    fetch again even if present
set -euo pipefail

# Headers the driver needs, as paths inside the DPDK source tree.
HEADERS=(
	lib/eal/include/bus_driver.h
	lib/eal/include/dev_driver.h
	lib/ethdev/ethdev_driver.h
	lib/ethdev/ethdev_vdev.h
	drivers/bus/vdev/bus_vdev_driver.h
)

mode=fetch
case "${1:-}" in
--print) mode=print ;;
--force) mode=force ;;
"") ;;
*) echo "usage: $0 [--print|--force]" >&2; exit 2 ;;
esac

die() { echo "get-dpdk-sdk: $*" >&2; exit 1; }

version=$(pkg-config --modversion libdpdk 2>/dev/null) ||
	die "libdpdk not found by pkg-config: install libdpdk-dev (devtools/setup.sh does)"
cache=${MLX4R_SDK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mlx4r}
dest=$cache/dpdk-sdk-$version
inc=$dest/include

complete() {
	local h
	for h in "${HEADERS[@]}"; do
		[ -f "$inc/$(basename "$h")" ] || return 1
	done
	[ -f "$dest/VERSION" ] && [ "$(cat "$dest/VERSION")" = "$version" ]
}

if [ "$mode" = print ]; then
	complete || exit 1
	echo "$inc"
	exit 0
fi
if [ "$mode" = fetch ] && complete; then
	echo "$inc"
	exit 0
fi

# The Debian version of the installed libdpdk-dev (e.g. 22.11.11-0+deb12u1)
# names the source package version to fetch.
debver=$(dpkg-query -W -f '${Version}' libdpdk-dev 2>/dev/null) ||
	die "libdpdk-dev is not installed as a Debian package; build DPDK with -Denable_driver_sdk=true or pass -Ddpdk_sdk_include=DIR to meson"

work=$(mktemp -d "${TMPDIR:-/tmp}/mlx4r-sdk.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/src"

# Build a deb-src list from the Debian repositories apt already uses for
# binary packages, so that the source comes from the same mirror and suites.
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Identifier: Packages' 2>/dev/null |
	sort -u | awk '$1 ~ /\/debian(-security)?\/?$/' |
	while read -r uri suite comp; do
		echo "deb-src [signed-by=$keyring] $uri $suite $comp"
	done >"$work/sources.list"
if [ ! -s "$work/sources.list" ]; then
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	cat >"$work/sources.list" <<LIST
deb-src [signed-by=$keyring] http://deb.debian.org/debian $codename main
deb-src [signed-by=$keyring] http://deb.debian.org/debian $codename-updates main
deb-src [signed-by=$keyring] http://deb.debian.org/debian-security $codename-security main
LIST
fi

apt_opts=(
	-o "Dir::Etc::sourcelist=$work/sources.list"
	-o "Dir::Etc::sourceparts=-"
	-o "Dir::State::Lists=$work/lists"
	-o "Dir::Cache::archives=$work/archives"
	-o "APT::Get::List-Cleanup=0"
	-o "APT::Sandbox::User=root"
	-q
)
echo "get-dpdk-sdk: fetching Debian source package dpdk=$debver" >&2
apt-get "${apt_opts[@]}" update >"$work/apt.log" 2>&1 ||
	{ cat "$work/apt.log" >&2; die "apt-get update of the private deb-src list failed"; }
(cd "$work/src" && apt-get "${apt_opts[@]}" source --download-only "dpdk=$debver") >>"$work/apt.log" 2>&1 ||
	{ cat "$work/apt.log" >&2; die "cannot download source package dpdk=$debver"; }

orig=$(ls "$work"/src/dpdk_*.orig.tar.* 2>/dev/null | head -1)
[ -n "$orig" ] || die "no upstream tarball in the downloaded source package"
members=()
for h in "${HEADERS[@]}"; do
	members+=("*/$h")
done
# upstream net_mlx4's sources too, for devtools/bench-fastpath.sh (the
# benchmark compiles its bursts beside ours; nothing else uses them)
members+=("*/drivers/net/mlx4/*")
tar -C "$work/src" --wildcards -xf "$orig" "${members[@]}" ||
	die "the tarball $(basename "$orig") lacks one of: ${HEADERS[*]}"
top=$(cd "$work/src" && ls -d */lib 2>/dev/null | head -n 1)
top=${top%/lib}
[ -n "$top" ] || die "unexpected layout of $(basename "$orig")"

# Debian's patches must not change these headers, else we would ship a
# different API than the one the binaries were built from.
deb=$(ls "$work"/src/dpdk_*.debian.tar.* 2>/dev/null | head -1)
if [ -n "$deb" ]; then
	mkdir -p "$work/deb"
	tar -C "$work/deb" -xf "$deb"
	for h in "${HEADERS[@]}"; do
		if grep -rqs -- "^+++ .*/$h" "$work/deb/debian/patches"; then
			die "Debian patches modify $h; extraction of patched headers is not implemented"
		fi
	done
fi

rm -rf "$dest.new"
mkdir -p "$dest.new/include"
for h in "${HEADERS[@]}"; do
	install -m 0644 "$work/src/$top/$h" "$dest.new/include/"
done
mkdir -p "$dest.new/src/drivers/net"
cp -r "$work/src/$top/drivers/net/mlx4" "$dest.new/src/drivers/net/"
echo "$version" >"$dest.new/VERSION"
echo "dpdk=$debver" >"$dest.new/SOURCE"
rm -rf "$dest"
mv "$dest.new" "$dest"
echo "get-dpdk-sdk: headers for DPDK $version in $inc" >&2
echo "$inc"
