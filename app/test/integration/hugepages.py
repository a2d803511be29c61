#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""2 MB hugepages for one test at a time.

The kernel's pool (/proc/sys/vm/nr_hugepages) is one per machine, while
meson runs tests in parallel and several test runs may share a machine.
Two cases that each read the pool's size, raise it by what they need and
put the old size back race: both read N, both write N + 192, one of them
gets nothing and skips ("only 64 free hugepages of the 192 needed"), and
the first to finish shrinks the pool under the other. So a reservation
holds an exclusive flock(2) on one machine-wide lock file from before it
reads the pool until after it has given the pages back: cases that need
hugepages run one after the other, each with the pages it asked for, and
a skip means the kernel could not allocate them (fragmented or short
memory), never a sibling test.

As a program: hugepages.py PAGES -- COMMAND [ARGS...] runs COMMAND with
PAGES reserved (exit 77, the skip code, with the reason when they cannot
be had).
"""

import fcntl
import os
import subprocess
import sys
import tempfile

LOCK = "/run/lock/mlx4r-hugepages.lock"
POOL = "/proc/sys/vm/nr_hugepages"
FREE = "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"


class Hugepages:
    """2 MB hugepages reserved for one case (optionally on a private
    hugetlbfs mount), given back afterwards."""

    def __init__(self, pages, mount=True):
        self.pages = pages
        self.want_mount = mount
        self.saved = None
        self.mnt = None
        self.lock = None

    def reserve(self):
        """None on success, else why not. Blocks while another case holds
        hugepages (see the module's comment)."""
        if os.geteuid() != 0:
            return "not root: cannot reserve hugepages"
        if not os.path.exists(os.path.dirname(FREE)):
            return "no 2 MB hugepage support in this kernel"
        os.makedirs(os.path.dirname(LOCK), exist_ok=True)
        self.lock = open(LOCK, "a")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        with open(POOL) as f:
            self.saved = int(f.read())
        with open(FREE) as f:
            free = int(f.read())
        try:
            # Grow the pool by what is missing; pages left over from an
            # earlier run stay where they are.
            with open(POOL, "w") as f:
                f.write(str(self.saved + max(0, self.pages - free)))
        except OSError as e:
            return "cannot reserve hugepages: %s" % e
        with open(FREE) as f:
            free = int(f.read())
        if free < self.pages:
            return ("the kernel allocated only %d free hugepages of the %d "
                    "needed" % (free, self.pages))
        if self.want_mount:
            self.mnt = tempfile.mkdtemp(prefix="mlx4r-it-huge-")
            r = subprocess.run(["mount", "-t", "hugetlbfs", "-o",
                                "pagesize=2M", "nodev", self.mnt],
                               capture_output=True, text=True)
            if r.returncode != 0:
                os.rmdir(self.mnt)
                self.mnt = None
                return "cannot mount hugetlbfs: %s" % r.stderr.strip()
        return None

    def release(self):
        if self.mnt is not None:
            subprocess.run(["umount", self.mnt])
            os.rmdir(self.mnt)
            self.mnt = None
        if self.saved is not None:
            with open(POOL, "w") as f:
                f.write(str(self.saved))
            self.saved = None
        if self.lock is not None:
            self.lock.close()  # drops the flock
            self.lock = None


def main(argv):
    if len(argv) < 3 or argv[1] != "--":
        print("usage: hugepages.py PAGES -- COMMAND [ARGS...]",
              file=sys.stderr)
        return 2
    huge = Hugepages(int(argv[0]), mount=False)
    why = huge.reserve()
    try:
        if why is not None:
            print("SKIP: %s" % why)
            return 77
        return subprocess.run(argv[2:]).returncode
    finally:
        huge.release()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
