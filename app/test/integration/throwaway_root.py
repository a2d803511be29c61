# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""A throwaway copy of this machine's root file system, to install into.

The install and package tests must see mlx4r where it is really installed
(/usr/lib/<triplet>/dpdk/pmds-<ABI>, the directory EAL loads on its own),
but must not install on the machine: every DPDK process on it, other
engineers' test runs included, would load the plugin from there. So they
run inside a copy-on-write view of /:

    unshare --mount            a private mount namespace: nothing mounted
                               here is seen outside, and it all goes away
                               with the last process
    mount -t overlay           lower: /, read-only; upper: a directory of
                               ours that takes every write (dpkg's
                               database included)
    chroot                     with /proc, /sys and /dev bound in, and a
                               private tmpfs on /run/dpdk for EAL

This costs a few milliseconds (no debootstrap, no copy of the system) and
needs root (CAP_SYS_ADMIN) and overlayfs. available() says whether it can
run here, and why not.
"""

import os
import shutil
import subprocess

SETUP = r"""
set -e
m=$1; u=$2; w=$3; shift 3
mount -t overlay overlay -o "lowerdir=/,upperdir=$u,workdir=$w" "$m"
for d in proc sys dev; do
	mount --rbind "/$d" "$m/$d"
done
mkdir -p "$m/run/dpdk"
mount -t tmpfs none "$m/run/dpdk"
exec chroot "$m" "$@"
"""


def available():
    """(True, '') or (False, why the throwaway root cannot run here)."""
    if os.geteuid() != 0:
        return False, "needs root (mount namespaces, overlayfs, chroot)"
    if shutil.which("unshare") is None:
        return False, "unshare(1) not found (util-linux)"
    try:
        with open("/proc/filesystems") as f:
            if "overlay" not in f.read():
                return False, "the kernel has no overlayfs"
    except OSError as e:
        return False, "cannot read /proc/filesystems: %s" % e
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if probe.returncode != 0:
        return False, "unshare --mount fails here: %s" % probe.stdout.strip()
    return True, ""


class ThrowawayRoot:
    """Files put() before run() are in the root when it starts; run()
    executes one command in it, and may be called again (each call sees
    what the previous ones wrote). close() throws it all away."""

    def __init__(self, parent):
        self.base = os.path.join(parent, "throwaway-root")
        shutil.rmtree(self.base, ignore_errors=True)
        self.upper = os.path.join(self.base, "upper")
        self.work = os.path.join(self.base, "work")
        self.merged = os.path.join(self.base, "merged")
        for d in (self.upper, self.work, self.merged):
            os.makedirs(d)

    def put(self, src, dest):
        """Copy file or tree src to dest (an absolute path in the root),
        keeping links and modes, as an installer would."""
        target = os.path.join(self.upper, dest.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.isdir(src) and not os.path.islink(src):
            shutil.copytree(src, target, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(src, target, follow_symlinks=False)

    def put_tree(self, tree):
        """Copy the contents of tree (a DESTDIR) to the root's /."""
        for entry in os.listdir(tree):
            self.put(os.path.join(tree, entry), "/" + entry)

    def run(self, argv, timeout=300, env=None):
        """Run argv in the root; returns (exit code, combined output)."""
        cmd = ["unshare", "--mount", "--propagation", "private",
               "sh", "-c", SETUP, "throwaway-root",
               self.merged, self.upper, self.work] + list(argv)
        print("[throwaway root] $ " + " ".join(argv), flush=True)
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               timeout=timeout, env=env, cwd="/")
        except subprocess.TimeoutExpired as e:
            out = e.stdout or ""
            if isinstance(out, bytes):
                out = out.decode(errors="replace")
            return -1, out + "\n(timed out after %d s)" % timeout
        return p.returncode, p.stdout

    def close(self):
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
