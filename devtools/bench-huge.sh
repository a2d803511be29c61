# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
#
# Sourced by the benchmarks (bench-fwd.sh, bench-all.sh): 2 MB hugepages
# on a private hugetlbfs mount for one run, given back at exit.
#
#   huge_reserve    reserve $huge_pages (default 1024) pages and mount
#                   them on $huge_dir; 0 on success, a reason on stdout
#                   otherwise (not root, too few pages, no mount)
#   huge_release    unmount, and put /proc/sys/vm/nr_hugepages back
#
# The caller runs huge_release at exit (its own EXIT trap).

huge_dir=
huge_pages=${huge_pages:-1024}
huge_saved=

huge_release() {
	if [ -n "$huge_dir" ]; then
		rm -f "$huge_dir"/mlx4r_bench* 2>/dev/null || true
		umount "$huge_dir" 2>/dev/null || true
		rmdir "$huge_dir" 2>/dev/null || true
		huge_dir=
	fi
	if [ -n "$huge_saved" ]; then
		echo "$huge_saved" > /proc/sys/vm/nr_hugepages
		huge_saved=
	fi
}

huge_reserve() {
	local got
	[ "$(id -u)" = 0 ] || { echo "hugepages: not root"; return 1; }
	huge_saved=$(cat /proc/sys/vm/nr_hugepages)
	echo "$huge_pages" > /proc/sys/vm/nr_hugepages 2>/dev/null || true
	got=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$got" -lt 512 ]; then
		echo "hugepages: only $got of $huge_pages could be reserved"
		return 1
	fi
	huge_dir=$(mktemp -d /run/mlx4r-bench-huge.XXXXXX)
	if ! mount -t hugetlbfs -o pagesize=2M nodev "$huge_dir"; then
		rmdir "$huge_dir"
		huge_dir=
		echo "hugepages: cannot mount hugetlbfs"
		return 1
	fi
	echo "hugepages: $got x 2 MB reserved, hugetlbfs on $huge_dir"
	return 0
}
