#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors

"""devtools/get-dpdk-sdk.sh: the source package first, then the caller's
fallback directory, whose headers must match their sha256 sums.

Offline: pkg-config, dpkg-query and apt-get are stand-ins on PATH (a
libdpdk 24.11.6 whose source package cannot be downloaded); the fallback
directories are made here with headers of our own.

    check_get_dpdk_sdk.py <get-dpdk-sdk.sh>
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

HEADERS = ["bus_driver.h", "dev_driver.h", "ethdev_driver.h",
           "ethdev_vdev.h", "bus_vdev_driver.h"]
VERSION = "24.11.6"

STUBS = {
    "pkg-config": """#!/bin/sh
[ "$1 $2" = "--modversion libdpdk" ] && { echo %s; exit 0; }
exit 1
""" % VERSION,
    "dpkg-query": """#!/bin/sh
echo -n "%s-0+deb13u1"
""" % VERSION,
    # update works, the source package is not served (a 404 mirror)
    "apt-get": """#!/bin/sh
echo "apt-get $*" >>"$STUB_LOG"
for a in "$@"; do
	case "$a" in
	indextargets) exit 0 ;;
	update) exit 0 ;;
	source) echo "Err:1 http://deb.debian.org/debian trixie/main dpdk (dsc) 404 Not Found"
		echo "E: Failed to fetch dpdk.dsc 404 Not Found"; exit 100 ;;
	esac
done
exit 0
""",
}

failures = 0


def check(cond, what):
    global failures
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures += 1


def make_fallback(parent, name, tamper=None, drop_sum=None):
    d = os.path.join(parent, name)
    os.makedirs(os.path.join(d, "include"))
    sums = []
    for h in HEADERS:
        body = ("/* %s of the test */\n" % h).encode()
        with open(os.path.join(d, "include", h), "wb") as f:
            f.write(body + (b"/* changed */\n" if h == tamper else b""))
        if h != drop_sum:
            sums.append("%s  %s" % (hashlib.sha256(body).hexdigest(), h))
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write("# headers\n\nsha256:\n" + "\n".join(sums) + "\n")
    return d


def main():
    script = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as t:
        stubs = os.path.join(t, "bin")
        os.makedirs(stubs)
        for name, body in STUBS.items():
            p = os.path.join(stubs, name)
            with open(p, "w") as f:
                f.write(body)
            os.chmod(p, 0o755)
        log = os.path.join(t, "apt.log")
        cache = os.path.join(t, "cache")
        env = dict(os.environ, PATH=stubs + ":" + os.environ["PATH"],
                   MLX4R_SDK_CACHE=cache, STUB_LOG=log, TMPDIR=t)
        env.pop("MLX4R_SDK_FALLBACK", None)
        inc = os.path.join(cache, "dpdk-sdk-" + VERSION, "include")

        def run(*args):
            if os.path.exists(log):
                os.unlink(log)
            p = subprocess.run([script] + list(args), env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
            print("$ get-dpdk-sdk.sh %s -> %d\n%s" % (" ".join(args), p.returncode,
                                                      p.stderr.rstrip()))
            return p

        def apt_calls():
            if not os.path.exists(log):
                return ""
            with open(log) as f:
                return f.read()

        # no fallback: the download's failure, and how to give one
        p = run()
        check(p.returncode == 1, "without a fallback, a failed download fails")
        check("cannot download source package dpdk=24.11.6-0+deb13u1" in p.stderr and
              "--fallback DIR" in p.stderr,
              "naming the package version and the --fallback option")
        check(not os.path.exists(inc), "and leaves no headers in the cache")

        # a header that does not match its sum
        bad = make_fallback(os.path.join(t, "bad"), "dpdk-sdk-24.11",
                            tamper="ethdev_driver.h")
        p = run("--fallback", bad)
        check(p.returncode == 1 and "include/ethdev_driver.h has sha256" in p.stderr,
              "a changed header is refused, named")
        check(not os.path.exists(inc) and run("--print").returncode == 1,
              "and nothing is in the cache (--print fails)")
        check(not os.path.exists(os.path.dirname(inc) + ".new"),
              "not even a half-made entry")

        # a header without a sum
        nosum = make_fallback(os.path.join(t, "nosum"), "dpdk-sdk-24.11",
                              drop_sum="bus_driver.h")
        p = run("--fallback", nosum)
        check(p.returncode == 1 and "no sha256 sum for bus_driver.h" in p.stderr,
              "a header without a sum is refused, named")

        # a directory for another DPDK
        other = make_fallback(os.path.join(t, "other"), "dpdk-sdk-22.11")
        p = run("--fallback", other)
        check(p.returncode == 1 and "is not for DPDK 24.11" in p.stderr,
              "a fallback for another DPDK version is refused")

        # a good fallback, by environment: the source package is tried first
        good = make_fallback(os.path.join(t, "good"), "dpdk-sdk-24.11")
        env["MLX4R_SDK_FALLBACK"] = good
        p = run()
        calls = apt_calls()
        check(p.returncode == 0 and p.stdout.strip() == inc,
              "a verified fallback succeeds and prints the include dir")
        check("source --download-only dpdk=24.11.6-0+deb13u1" in calls,
              "after trying the source package of the installed version")
        same = all(open(os.path.join(inc, h), "rb").read() ==
                   open(os.path.join(good, "include", h), "rb").read()
                   for h in HEADERS)
        check(same, "the five headers are in the cache, unchanged")
        with open(os.path.join(inc, "..", "SOURCE")) as f:
            src = f.read()
        check("fallback" in src and "sha256 verified" in src,
              "the cache says where they came from (%s)" % src.strip())
        del env["MLX4R_SDK_FALLBACK"]

        # complete: --print and a plain run take the cache, no apt-get
        p = run("--print")
        check(p.returncode == 0 and p.stdout.strip() == inc and apt_calls() == "",
              "--print finds them without apt-get")
        p = run()
        check(p.returncode == 0 and apt_calls() == "",
              "a second fetch finds them without apt-get")
        shutil.rmtree(cache)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
