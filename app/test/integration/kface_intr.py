#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""Integration cases: Rx interrupts on the emulated ConnectX-3 behind the
kernel interface (completion channels of uverbs, the CQ arm doorbell).

Each case runs mlx4r-intr-app (intr_app.c: an l3fwd-power-style check of
port 0) under devtools/with-emu-cx3.sh --wire loopback, once with mlx4r's
backend=verbs and once with Debian's own net_mlx4, which has Rx interrupts
too (drivers/net/mlx4/mlx4_intr.c). Exit 0 (pass), 1 (fail) or 77 (skipped:
only where the machine lacks Debian's net_mlx4).
"""

import os
import subprocess
import sys
import tempfile

from casemain import need_upstream_pmd, run_cases

EAL_BASE = ["-l", "0-1", "--no-huge", "-m", "512"]
BDF = "0000:82:00.0"
STEPS = ["intr: step 1: armed, no frame: no event",
         "intr: step 2: one frame: woken, event taken, frame received",
         "intr: step 3: not armed: no event for a frame",
         "intr: step 4: armed with a frame waiting: event at once",
         "intr: all steps passed"]


def run(args, eal, steps=STEPS):
    env = dict(os.environ)
    env["MLX4R_KFACE_LIB"] = os.path.abspath(args.kface_lib)
    plugin_dir = os.path.dirname(os.path.abspath(args.plugin))
    ld = env.get("LD_LIBRARY_PATH")
    env["LD_LIBRARY_PATH"] = plugin_dir + (":" + ld if ld else "")
    argv = [args.wrapper, "--ports", "1", "--wire", "loopback", "--",
            args.app] + EAL_BASE + eal
    print("$ " + " ".join(argv), flush=True)
    with tempfile.TemporaryDirectory(prefix="mlx4r-kface-intr-") as d:
        p = subprocess.run(argv, cwd=d, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=90)
    print(p.stdout, flush=True)
    missing = [s for s in steps if s not in p.stdout]
    if p.returncode != 0 or missing:
        print("FAIL: exit %d, missing %r" % (p.returncode, missing))
        return 1
    return 0


def case_kface_intr_verbs(args):
    """mlx4r backend=verbs: ibv_create_comp_channel, its CQ armed by the
    driver's doorbell, ibv_get_cq_event/ibv_ack_cq_events."""
    return run(args, ["--no-pci", "--file-prefix=kface_intr_verbs",
                      "-d", os.path.basename(args.plugin),
                      "--log-level=pmd.net.mlx4r*:info",
                      "--vdev", "net_mlx4r0,backend=verbs,ibdev=mlx4_0,ports=1"])


def case_kface_intr_verbs_fatal(args):
    """mlx4r backend=verbs asleep on an armed queue through a catastrophic
    error of the card (the kernel face's channels die with the context;
    proactive recovery makes new ones): woken once the queue is live, the
    same fd, the next frame's event from the new CQ."""
    return run(args, ["--no-pci", "--file-prefix=kface_intr_verbs_fatal",
                      "-d", os.path.basename(args.plugin),
                      "--log-level=pmd.net.mlx4r*:info",
                      "--vdev", "net_mlx4r0,backend=verbs,ibdev=mlx4_0,ports=1",
                      "--", "fatal"],
               STEPS + ["intr: step 5: asleep through a catastrophic error"])


def case_kface_intr_upstream(args):
    """Debian's net_mlx4 (mlx4_intr.c mlx4_rx_intr_enable/disable) on the
    emulated PCI function."""
    need_upstream_pmd(args)
    return run(args, ["--file-prefix=kface_intr_upstream", "-a", BDF,
                      "--log-level=pmd.net.mlx4:info"])


def case_kface_intr_abi(args):
    """The channel commands byte by byte (kface_intr_abi.py), raw system
    calls under the wrapper."""
    env = dict(os.environ)
    env["MLX4R_KFACE_LIB"] = os.path.abspath(args.kface_lib)
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "kface_intr_abi.py")
    argv = [args.wrapper, "--ports", "1", "--", sys.executable, script]
    print("$ " + " ".join(argv), flush=True)
    with tempfile.TemporaryDirectory(prefix="mlx4r-kface-intr-") as d:
        p = subprocess.run(argv, cwd=d, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
    print(p.stdout, flush=True)
    if p.returncode != 0 or "kface_intr_abi: all checks passed" not in p.stdout:
        print("FAIL: exit %d" % p.returncode)
        return 1
    return 0


CASES = {
    "kface_intr_abi": case_kface_intr_abi,
    "kface_intr_verbs": case_kface_intr_verbs,
    "kface_intr_verbs_fatal": case_kface_intr_verbs_fatal,
    "kface_intr_upstream": case_kface_intr_upstream,
}


def main():
    return run_cases(CASES, options=(
        ("--wrapper", dict(required=True)),
        ("--kface-lib", dict(required=True)),
        ("--plugin", dict(required=True)),
        ("--app", dict(required=True)),
    ), doc=__doc__)


if __name__ == "__main__":
    sys.exit(main())
