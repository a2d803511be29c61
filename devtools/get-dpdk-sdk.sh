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
# fast-path benchmark (devtools/bench-fastpath.sh; not from a fallback
# directory, below, which holds only the headers). Nothing lands in git.
#
# When the source package cannot be had (the mirror does not serve it: the
# one this project's CI machines reach answers 404 for Debian 13's), a
# directory named by the caller may supply the headers instead:
# --fallback DIR or $MLX4R_SDK_FALLBACK. It must be named
# dpdk-sdk-<major>.<minor> of the installed DPDK, hold the headers in
# DIR/include and their sha256 sums in DIR/README* or DIR/SHA256SUMS
# ("<sum>  <file>" lines, as sha256sum(1) writes them); every header is
# checked against its sum before it is copied to the cache. The source
# package is always tried first.
#
# Usage: get-dpdk-sdk.sh [--fallback DIR]          fetch if missing, print
#                                                  the include dir
#        get-dpdk-sdk.sh --print                   print the include dir if
#                                                  it is complete, exit 1
#                                                  otherwise (used by meson)
#        get-dpdk-sdk.sh --force [--fallback DIR]  fetch again even if present
set -euo pipefail

# Headers the driver needs, as paths inside the DPDK source tree.
HEADERS=(
	lib/eal/include/bus_driver.h
	lib/eal/include/dev_driver.h
	lib/ethdev/ethdev_driver.h
	lib/ethdev/ethdev_vdev.h
	drivers/bus/vdev/bus_vdev_driver.h
)

usage() { echo "usage: $0 [--print | [--force] [--fallback DIR]]" >&2; exit 2; }
mode=fetch
fallback=${MLX4R_SDK_FALLBACK:-}
while [ $# -gt 0 ]; do
	case "$1" in
	--print) mode=print ;;
	--force) mode=force ;;
	--fallback) [ $# -ge 2 ] || usage; fallback=$2; shift ;;
	--fallback=*) fallback=${1#--fallback=} ;;
	*) usage ;;
	esac
	shift
done

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

work=$(mktemp -d "${TMPDIR:-/tmp}/mlx4r-sdk.XXXXXX")
# (and a half-made cache entry, when a check fails)
trap 'rm -rf "$work" "$dest.new"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/src"

# Move the headers gathered in $dest.new into place.
commit() {
	echo "$version" >"$dest.new/VERSION"
	echo "$1" >"$dest.new/SOURCE"
	rm -rf "$dest"
	mv "$dest.new" "$dest"
	echo "get-dpdk-sdk: headers for DPDK $version in $inc ($1)" >&2
	echo "$inc"
	exit 0
}

# The caller's directory, when the source package could not be had.
use_fallback() {
	local why=$1 dir sums h b want got
	[ -n "$fallback" ] ||
		die "$why (a directory of verified headers may be given with --fallback DIR or MLX4R_SDK_FALLBACK)"
	echo "get-dpdk-sdk: $why; trying the fallback $fallback" >&2
	dir=$(cd "$fallback" 2>/dev/null && pwd) ||
		die "fallback $fallback: no such directory"
	b=$(basename "$dir")
	[ "$b" = "dpdk-sdk-${version%.*}" ] ||
		die "fallback $dir is not for DPDK ${version%.*} (its name must be dpdk-sdk-${version%.*}; the installed libdpdk is $version)"
	sums=$(cat "$dir"/SHA256SUMS "$dir"/README* 2>/dev/null |
		grep -E '^[0-9a-f]{64}  [A-Za-z0-9_.-]+$' || true)
	[ -n "$sums" ] || die "fallback $dir: no sha256 sums (SHA256SUMS or README*)"
	rm -rf "$dest.new"
	mkdir -p "$dest.new/include"
	for h in "${HEADERS[@]}"; do
		b=$(basename "$h")
		want=$(echo "$sums" | awk -v f="$b" '$2 == f { print $1; exit }')
		[ -n "$want" ] || die "fallback $dir: no sha256 sum for $b"
		[ -f "$dir/include/$b" ] || die "fallback $dir: include/$b is missing"
		got=$(sha256sum "$dir/include/$b" | cut -d' ' -f1)
		[ "$got" = "$want" ] ||
			die "fallback $dir: include/$b has sha256 $got, its list says $want"
		install -m 0644 "$dir/include/$b" "$dest.new/include/"
	done
	commit "fallback $dir (sha256 verified)"
}

# The Debian version of the installed libdpdk-dev (e.g. 22.11.11-0+deb12u1)
# names the source package version to fetch.
debver=$(dpkg-query -W -f '${Version}' libdpdk-dev 2>/dev/null) ||
	use_fallback "libdpdk-dev is not installed as a Debian package; build DPDK with -Denable_driver_sdk=true or pass -Ddpdk_sdk_include=DIR to meson"

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
if ! apt-get "${apt_opts[@]}" update >"$work/apt.log" 2>&1; then
	[ -n "$fallback" ] || cat "$work/apt.log" >&2
	use_fallback "apt-get update of the private deb-src list failed"
fi
if ! (cd "$work/src" && apt-get "${apt_opts[@]}" source --download-only "dpdk=$debver") >>"$work/apt.log" 2>&1; then
	if [ -n "$fallback" ]; then
		grep -E '^(E|Err):' "$work/apt.log" | head -n 3 >&2 || true
	else
		cat "$work/apt.log" >&2
	fi
	use_fallback "cannot download source package dpdk=$debver"
fi

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
commit "Debian source package dpdk=$debver"
