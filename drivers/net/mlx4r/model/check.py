#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""Model-check the reset protocol (quiesce.pml, reset.pml, ports.pml,
resetcoord_free.pml) with spin.

For each model and variant: spin -a [-D...], gcc pan.c, run pan (an
exhaustive safety search: assertions and invalid end states). The real
models must pass with the search complete; each variant, which puts back
a bug of issue 12, must produce a counterexample, and for the reason
given (a part of pan's message). Exit 0 when all hold, 1 otherwise, 77
(skipped) without spin or a C compiler.

    check.py [--spin PATH] [--cc PATH] [--only NAME] [--keep DIR]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# (name, model, -D macros, expected: None = pass, else a part of the
# counterexample's message)
USE = "assertion violated (((alive[qd]&&rings)&&(g==gen))&& !((qerr&&reported)))"
# (b): the dead-marker cleanup overwrote a live lcore's store
LIVE_CLEARED = "assertion violated ((mem[((cur*3)+1)]==0)||(wby[cur]==0))"
# the end: a started port's queue left in error, never repaired
QERR_LEFT = "assertion violated ((( !(control_done)||stopped_end)||failed_end)|| !(qerr))"
LIVE_DEAD = "assertion violated (( !(ctx_dead)||ev_pend)||(req&3))"
CHECKS = [
    ("quiesce", "quiesce.pml", [], None),
    ("quiesce-tso", "quiesce.pml", ["TSO"], None),
    ("quiesce-no-membarrier", "quiesce.pml", ["NO_MEMBARRIER"], USE),
    ("quiesce-no-membarrier-tso", "quiesce.pml", ["NO_MEMBARRIER", "TSO"],
     USE),
    ("quiesce-no-unbar-fence", "quiesce.pml", ["NO_UNBAR_FENCE"], USE),
    # x86-TSO keeps stores in order: there the unbar's fence only keeps
    # the compiler from moving barred = 0 up (the model's program order)
    # (these two about the unbar alone: without the kill, which the real
    # model covers, to keep the run short)
    ("quiesce-no-unbar-fence-tso", "quiesce.pml",
     ["NO_UNBAR_FENCE", "TSO", "NO_KILL"], None),
    # not a bug: a release store of barred = 0 would do for the unbar
    ("quiesce-unbar-release", "quiesce.pml", ["UNBAR_RELEASE", "NO_KILL"],
     None),
    ("quiesce-hoist", "quiesce.pml", ["HOIST"], USE),
    ("quiesce-free-queue", "quiesce.pml", ["FREE_QUEUE"], USE),
    ("quiesce-no-tag", "quiesce.pml", ["NO_TAG"], "assertion violated 0"),
    ("quiesce-fp-ops-rewrite", "quiesce.pml", ["FP_OPS_REWRITE"],
     "assertion violated  !(((fp_fn==1)&&(fp_qd==2)))"),
    # without the kill: a secondary killed between its leave and its late
    # bar gives another counterexample (a queue in error used) first
    ("quiesce-bar-after-leave", "quiesce.pml", ["BAR_AFTER_LEAVE", "NO_KILL"],
     "||(mem[((cur*3)+0)]==0))"),
    # the dead secondary's marker (rel3): the cleanup's compare-and-swap
    # replaced by a plain store of 0, or the dead tag given again, clears
    # the next lcore's marker; without the cleanup the stop never ends
    ("quiesce-stale-store", "quiesce.pml", ["STALE_STORE"], LIVE_CLEARED),
    ("quiesce-stale-store-tso", "quiesce.pml", ["STALE_STORE", "TSO"],
     LIVE_CLEARED),
    ("quiesce-tag-reuse", "quiesce.pml", ["TAG_REUSE"], LIVE_CLEARED),
    ("quiesce-no-stale-check", "quiesce.pml", ["NO_STALE_CHECK"],
     "invalid end state"),
    # a secondary killed inside mlx4r_queue_fault(): with an early return
    # on the fault flag, or the bar before the request, the queue is left
    # in error for good (no one reports it again, or every burst refuses)
    ("quiesce-fault-once", "quiesce.pml", ["FAULT_ONCE"], QERR_LEFT),
    ("quiesce-bar-before-request", "quiesce.pml", ["BAR_BEFORE_REQUEST"],
     "||repair_req)||(mem[((cur*3)+0)]==0))"),
    ("reset", "reset.pml", [], None),
    ("reset-timeout-no-announce", "reset.pml", ["TIMEOUT_NO_ANNOUNCE"],
     "assertion violated announced"),
    ("reset-clear-late", "reset.pml", ["CLEAR_LATE"], LIVE_DEAD),
    ("reset-last-fault-dropped", "reset.pml", ["LAST_FAULT_DROPPED"],
     LIVE_DEAD),
    # the variants below run at the smallest bounds that show them
    ("reset-no-restart-from-failed", "reset.pml",
     ["NO_RESTART_FROM_FAILED", "NSTUCK=0"],
     "assertion violated (((state!=0)||(rstate==3))||((rstate==0)&&started))"),
    ("reset-resetcoord-no-reack", "reset.pml",
     ["RESETCOORD_NO_REACK", "NSTUCK=0", "NOPENFAIL=0", "NFAULTS=1"],
     "assertion violated (closed||(rstate==3))"),
    # lib/resetcoord takes RECOVERY_FAILED in any phase: a driver that fails
    # unannounced (grammar assertions off) does not fool it ...
    ("reset-resetcoord-vs-unannounced", "reset.pml",
     ["TIMEOUT_NO_ANNOUNCE", "NO_GRAMMAR", "NOPENFAIL=0", "NFAULTS=1"],
     None),
    # ... unless it ignores RECOVERY_FAILED with no reset of its own
    ("reset-resetcoord-ignore-failed", "reset.pml",
     ["RESETCOORD_IGNORE_FAILED", "TIMEOUT_NO_ANNOUNCE", "NO_GRAMMAR",
      "NOPENFAIL=0", "NFAULTS=1", "NOPER=0"],
     "assertion violated (((state!=5)||(rstate==2))||(rstate==3))"),
    # liveness (LTL "ends", weak fairness), at NFAULTS=1
    ("reset-liveness", "reset.pml", ["LIVENESS", "NFAULTS=1"], None),
    ("reset-liveness-no-quiesce-deadline", "reset.pml",
     ["LIVENESS", "NFAULTS=1", "NOPENFAIL=0", "NO_QUIESCE_DEADLINE"],
     "acceptance cycle"),
    ("reset-liveness-no-ack-deadline", "reset.pml",
     ["LIVENESS", "NFAULTS=1", "NOPENFAIL=0", "NO_ACK_DEADLINE"],
     "acceptance cycle"),
    ("ports", "ports.pml", [], None),
    ("ports-close-no-wake", "ports.pml", ["CLOSE_NO_WAKE", "NOPER=0"],
     "assertion violated  !((( !(open[0])||acked[0])"),
    ("ports-ack-all-ports", "ports.pml", ["ACK_ALL_PORTS", "NOPER=0"],
     "assertion violated  !((( !(open[0])||acked[0])"),
    ("resetcoord-free", "resetcoord_free.pml", [], None),
    ("resetcoord-free-all", "resetcoord_free.pml", ["RESETCOORD_FREE_ALL"],
     "assertion violated  !(freed)"),
]


# the big searches, where an optimised pan.c pays for its compilation
OPTIMISED = {"reset", "reset-liveness", "ports", "quiesce", "quiesce-tso",
             "quiesce-no-unbar-fence-tso", "quiesce-unbar-release"}


def run(cmd, cwd):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def check(spin, cc, name, model, defs, expect, work):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    shutil.copy(os.path.join(HERE, model), d)
    t0 = time.monotonic()
    rc, out = run([spin] + ["-D" + m for m in defs] + ["-a", model], d)
    if rc != 0 or not os.path.exists(os.path.join(d, "pan.c")):
        return False, "spin -a failed:\n" + out, 0
    # SAFETY: assertions and end states only; COLLAPSE: less memory.
    # Optimising pan.c costs more than it saves, but for the big searches.
    # LIVENESS: the LTL claim, acceptance cycles under weak fairness.
    live = "LIVENESS" in defs
    opt = "-O1" if name in OPTIMISED else "-O0"
    mode = ["-DNFAIR=3"] if live else ["-DSAFETY"]
    rc, out = run([cc, opt, "-w", "-DCOLLAPSE", "-o", "pan", "pan.c"] +
                  mode, d)
    if rc != 0:
        return False, "cc pan.c failed:\n" + out, 0
    rc, out = run(["./pan", "-m200000", "-w21"] +
                  (["-a", "-f"] if live else []), d)
    secs = time.monotonic() - t0
    errors = None
    states = "?"
    for line in out.splitlines():
        if "errors:" in line:
            errors = int(line.split("errors:")[1].split()[0])
        if "states, stored" in line:
            states = line.split()[0]
    if errors is None:
        return False, "no result from pan:\n" + out, secs
    if "max search depth too small" in out:
        return False, "search not exhaustive (depth):\n" + out, secs
    info = "%s states, %.1f s" % (states, secs)
    if expect is None:
        if errors != 0 or "Search not completed" in out:
            trail = ""
            if os.path.exists(os.path.join(d, model + ".trail")):
                rc, trail = run([spin] + ["-D" + m for m in defs] +
                                ["-t", "-p", model], d)
                # the steps, the last 80 (the interleaving that fails)
                steps = [ln for ln in trail.splitlines()
                         if re.match(r"\s*\d+:\s+proc\s", ln) or
                         "assert" in ln]
                trail = "\n".join(steps[-80:])
            return False, ("counterexample in the real model:\n" + out +
                           "\n" + trail), secs
        return True, "passed, exhaustive: " + info, secs
    if errors == 0:
        return False, "variant passed (its bug is not caught): " + info, secs
    if expect not in out:
        return False, ("counterexample, but not the expected one (%s):\n%s"
                       % (expect, out)), secs
    return True, "counterexample as expected: " + info, secs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spin", default=shutil.which("spin"))
    ap.add_argument("--cc", default=shutil.which("gcc") or
                    shutil.which("cc"))
    ap.add_argument("--only", help="one check, by name")
    ap.add_argument("--keep", help="work in this directory, keep it")
    a = ap.parse_args()
    if not a.spin or not a.cc:
        print("model: spin or a C compiler missing (devtools/setup.sh "
              "installs spin): skipped")
        return 77
    if a.only and a.only not in [c[0] for c in CHECKS]:
        print("model: no check named %s" % a.only)
        return 2
    work = a.keep or tempfile.mkdtemp(prefix="mlx4r-model-")
    ok = True
    total = 0.0
    try:
        for name, model, defs, expect in CHECKS:
            if a.only and a.only != name:
                continue
            good, msg, secs = check(a.spin, a.cc, name, model, defs,
                                    expect, work)
            total += secs
            print("%-32s %s %s" % (name, "ok  " if good else "FAIL", msg),
                  flush=True)
            ok &= good
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("model: %s in %.1f s" % ("all checks hold" if ok else "FAILED",
                                   total))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
