#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
#
# CI on Debian 13 (trixie) and its DPDK 24.11, from a Debian 12 machine: a
# minimal trixie root (debootstrap --variant=minbase from Debian's archive)
# in which the README's test command, devtools/test.sh, runs on a copy of
# this tree: set-up (devtools/setup.sh installs the build dependencies in
# the root), -Dwerror=true build, every suite.
#
#   devtools/ci-debian13.sh [--fresh]
#
# The root is kept between runs on one machine (in $MLX4R_CI_CACHE,
# default /var/cache/mlx4r-ci: about 1.4 GB once the dependencies are in)
# and made again when it is older than $MLX4R_CI_ROOT_DAYS days (7), when
# the previous making did not finish, or with --fresh. From scratch it
# takes about three minutes more (debootstrap, then the packages).
#
# Debian 13's libdpdk-dev lacks DPDK's driver-SDK headers, and the mirror
# may not serve Debian 13's dpdk source package they come from: then
# devtools/get-dpdk-sdk.sh takes them from $MLX4R_SDK_FALLBACK (default:
# the project's shared third_party/dpdk-sdk-24.11, beside the repository),
# after checking their sha256 sums. They are bound into the root read-only
# and copied to the root's cache, never into the tree.
#
# Runs as root (debootstrap, chroot, mounts). Every mount is made in a
# private mount namespace (unshare -m) and goes away with it; nothing is
# mounted on the machine. The tests' logs are copied to
# <tree>/build-ci-debian13/meson-logs.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
suite=trixie
mirror=${MLX4R_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${MLX4R_CI_CACHE:-/var/cache/mlx4r-ci}
max_days=${MLX4R_CI_ROOT_DAYS:-7}
root=$cache/debian13-root
logs=$top/build-ci-debian13

die() { echo "ci-debian13: $*" >&2; exit 1; }
say() { echo "ci-debian13: $*" >&2; }

fresh=false
case "${1:-}" in
--fresh) fresh=true ;;
"") ;;
*) echo "usage: $0 [--fresh]" >&2; exit 2 ;;
esac

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mount namespaces)"
for t in debootstrap unshare chroot flock; do
	command -v "$t" >/dev/null ||
		die "$t not found: run devtools/setup.sh (it installs debootstrap)"
done

# The fallback for the SDK headers: the caller's, else the shared folder
# beside the repository (also when this tree is a git worktree elsewhere).
fallback=${MLX4R_SDK_FALLBACK:-}
if [ -z "$fallback" ]; then
	common=$(git -C "$top" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
	for c in "$top/../shared/third_party/dpdk-sdk-24.11" \
		${common:+"$(dirname "$common")/../shared/third_party/dpdk-sdk-24.11"}; do
		if [ -d "$c" ]; then
			fallback=$(cd "$c" && pwd)
			break
		fi
	done
fi
if [ -n "$fallback" ]; then
	[ -d "$fallback" ] || die "MLX4R_SDK_FALLBACK=$fallback: no such directory"
	say "SDK header fallback: $fallback"
fi

# One run at a time per cache: a second one waits for the first.
mkdir -p "$cache"
exec 9>"$cache/.lock"
if ! flock -n 9; then
	say "another run uses $cache: waiting for it"
	flock 9
fi

# --- the root: made once, kept while young enough ----------------------
stamp=$root/.mlx4r-ci-root
if [ "$fresh" = false ] && [ -f "$stamp" ] &&
	[ -z "$(find "$stamp" -mtime "+$max_days" 2>/dev/null)" ]; then
	say "reusing the Debian 13 root in $root (made $(cat "$stamp"))"
else
	say "making a Debian 13 root in $root (debootstrap --variant=minbase $suite $mirror)"
	rm -rf "$root" "$root.new"
	mkdir -p "$cache"
	t0=$(date +%s)
	if ! debootstrap --variant=minbase "$suite" "$root.new" "$mirror" \
		>"$cache/debootstrap.log" 2>&1; then
		tail -n 20 "$cache/debootstrap.log" >&2
		die "debootstrap failed (log: $cache/debootstrap.log)"
	fi
	mv "$root.new" "$root"
	date -u '+%Y-%m-%d %H:%M UTC' >"$stamp"
	say "root made in $(($(date +%s) - t0)) s"
fi

# --- a copy of the tree: what git tracks plus new files, no build dirs ---
src=$root/src/mlx4r
rm -rf "$src"
mkdir -p "$src"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		tar -C "$top" --null -T - --ignore-failed-read -cf - 2>/dev/null |
		tar -C "$src" -xf -
else
	tar -C "$top" --exclude='./build*' --exclude='./obj-*' -cf - . |
		tar -C "$src" -xf -
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"

# --- inside: the README's test command -----------------------------------
inner=$(cat <<'INNER'
set -euo pipefail
root=$1 fallback=$2
# The root must be a mount point: unshare --mount inside it (the install
# tests' throwaway root) cannot change the propagation of a / that is not.
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mkdir -p "$root/run/dpdk"
mount -t tmpfs tmpfs "$root/run/dpdk"
env_sdk=()
if [ -n "$fallback" ]; then
	mkdir -p "$root/mnt/sdk/$(basename "$fallback")"
	mount --bind "$fallback" "$root/mnt/sdk/$(basename "$fallback")"
	mount -o remount,bind,ro "$root/mnt/sdk/$(basename "$fallback")"
	env_sdk=("MLX4R_SDK_FALLBACK=/mnt/sdk/$(basename "$fallback")")
fi
exec chroot "$root" /usr/bin/env -i \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive \
	"${env_sdk[@]}" \
	/bin/bash -c 'cd /src/mlx4r &&
		echo "ci-debian13: $(. /etc/os-release && echo "$PRETTY_NAME")" >&2 &&
		devtools/test.sh /src/mlx4r/build-ci'
INNER
)
t0=$(date +%s)
rc=0
unshare -m --propagation private bash -c "$inner" inner "$root" "$fallback" || rc=$?
rm -rf "$logs"
mkdir -p "$logs"
if [ -d "$src/build-ci/meson-logs" ]; then
	cp -r "$src/build-ci/meson-logs" "$logs/"
fi
say "devtools/test.sh in Debian 13 took $(($(date +%s) - t0)) s, exit $rc (logs: $logs/meson-logs)"
exit $rc
