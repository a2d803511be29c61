#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""Integration cases: secondary processes that forward, on the emulated
ConnectX-3 behind the kernel face (doc/guides/nics/mlx4r.rst,
"Multi-process").

A stock dpdk-testpmd primary starts the ports of the card (mlx4r's verbs
backend, or Debian's net_mlx4 side by side) and forwards nothing; a stock
dpdk-testpmd secondary (--proc-type=secondary, lcores of its own ids)
forwards in io mode. Both run under one devtools/with-emu-cx3.sh, on
hugepages (a secondary needs the primary's memory shared): the case
reserves them (hugepages.py: one hugepage case at a time on the
machine), and skips with the reason when it cannot. Each case runs
this script again inside the wrapper (--inner), which drives the
processes, each command typed at its testpmd prompt, and prints their
outputs; the case checks them. Exit 0 (pass), 1 (fail) or 77 (skipped).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kface import (FAKE_CONSOLE, OPTIONS, PROMPT, CaseFailed, UPSTREAM_LOG,  # noqa: E402
                   Env, Skip, expect, expect_in, fwd_stats, need_upstream_pmd,
                   run_cases)
# one hugepage case at a time on the machine (hugepages.py)
from hugepages import Hugepages  # noqa: E402

BDF = "0000:82:00.0"
# testpmd's prompt at the end of what was read: kface.PROMPT, which
# counts a prompt that another thread's lines cut (an event line of
# testpmd's interrupt thread may come between any two of its characters)
PROMPT_AT_END = re.compile("(?:%s)\\Z" % PROMPT.pattern)
# secondaries killed, at most, until one dies inside a burst (case
# kface_mp_verbs_secondary_killed): about one in four does, 16 miss all
# about once in a hundred runs (the case then passes, saying so)
KILL_ROUNDS = 16
# seconds the inner driver takes at most (the slowest case, secondary
# killed with all its rounds, about 60 s): then it prints what it has,
# with each live process's threads (where_is()); run_inner's timeout is
# 30 s later (two backtraces), meson's (180 s) later still
INNER_DEADLINE = 120


# -- inside the wrapper ------------------------------------------------------

class Testpmd:
    """A testpmd whose commands are typed at its prompts."""

    def __init__(self, name, argv):
        self.name = name
        self.out = []
        self.cond = threading.Condition()
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.prompts = 0
        self.typed = 0
        self.t = threading.Thread(target=self._read)
        self.t.start()

    def _read(self):
        # what was read since the last prompt counted: a prompt cut by
        # lines ends with its last character, the space. It was a match
        # of the last 9 characters, which missed a prompt cut by DPDK
        # 24.11's "Port 1: link state change event" after a port start
        # (Debian 13, kface_mp_verbs_reset_passive): the driver then
        # waited 60 s for each later prompt, past the case's timeout.
        buf = ""
        while True:
            c = self.p.stdout.read(1)
            if c == "":
                break
            buf += c
            with self.cond:
                self.out.append(c)
                if c == " " and PROMPT_AT_END.search(buf):
                    self.prompts += 1
                    buf = ""
                    self.cond.notify_all()
            if len(buf) > 65536:
                buf = buf[-16384:]
        with self.cond:
            self.prompts = 1 << 30  # exited: nothing more to wait for
            self.cond.notify_all()

    def cmd(self, line, pause=0.0, timeout=60):
        """Wait for the prompt after the last command, type @line, then
        pause."""
        self.sync(timeout)
        if self.p.poll() is None:
            self.mark("typed %s" % line)
            try:
                self.p.stdin.write(line + "\n")
                self.p.stdin.flush()
            except BrokenPipeError:
                pass
        self.typed += 1
        if pause:
            time.sleep(pause)

    def sync(self, timeout=60):
        """Wait for the prompt after the last command (its output)."""
        with self.cond:
            end = time.monotonic() + timeout
            while self.prompts < 1 + self.typed:
                left = end - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)

    def mark(self, what):
        with self.cond:
            self.out.append("\n[%s %.3f]\n" % (what, time.monotonic()))

    def wait(self, timeout=60):
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
            self.mark("killed after %d s" % timeout)
        self.t.join()
        return rc

    def text(self):
        with self.cond:
            return "".join(self.out)


def uar_maps(pid):
    """Mappings of the emulated uverbs command file in process @pid (the
    kernel face's memfd, mlx4r_kface.c): a secondary's UAR pages."""
    with open("/proc/%d/maps" % pid) as f:
        return sum(1 for line in f if "memfd:uverbs0" in line)


class Deadline(Exception):
    """The inner driver's own deadline (SIGALRM), or the outer harness's
    SIGTERM: what the processes printed, and where they are, is still
    worth printing."""


def on_deadline(signum, frame):
    # once: the dump and the kills after it are not cut short again
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Deadline("%s: %s" % (signal.Signals(signum).name,
                               "the inner driver's deadline"
                               if signum == signal.SIGALRM else
                               "the case's timeout"))


def where_is(pid):
    """Where process @pid's threads are: each thread's name, state and
    kernel wait channel (/proc), then gdb's backtrace of every thread
    when gdb is installed (devtools/setup.sh installs it)."""
    lines = []
    try:
        for tid in sorted(os.listdir("/proc/%d/task" % pid), key=int):
            base = "/proc/%d/task/%s/" % (pid, tid)
            try:
                with open(base + "stat") as f:
                    stat = f.read()
                with open(base + "wchan") as f:
                    wchan = f.read().strip()
            except OSError:
                continue
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            state = stat[stat.rindex(")") + 2:].split()[0]
            lines.append("  thread %s %-16s %s %s" % (tid, name, state, wchan))
    except OSError as e:
        lines.append("  /proc/%d: %s" % (pid, e))
    gdb = shutil.which("gdb")
    if gdb is not None:
        try:
            r = subprocess.run([gdb, "-p", str(pid), "-batch", "-nx",
                                "-ex", "thread apply all bt 24"],
                               capture_output=True, text=True, timeout=15)
            lines.append(r.stdout.strip())
        except subprocess.TimeoutExpired:
            lines.append("  gdb: no backtrace in 15 s")
    return "\n".join(lines)


def inner(conf):
    eal = ["--huge-dir", conf["huge"], "--file-prefix=mlx4r_mp_" + conf["case"]]
    tpmd = ["--", "-i", "--total-num-mbufs=16384", "--no-mlockall"]
    if conf["driver"] == "mlx4r":
        devargs = "net_mlx4r0,backend=verbs,ibdev=mlx4_0,ports=2" + conf["devargs"]
        pargs = ["-d", conf["plugin"], "--no-pci", "--vdev", devargs,
                 "--log-level=pmd.net.mlx4r*:info"]
        sargs = ["-d", conf["plugin"], "--no-pci",
                 "--log-level=pmd.net.mlx4r*:info"]
    else:
        pargs = ["-a", BDF] + UPSTREAM_LOG
        sargs = ["-a", BDF] + UPSTREAM_LOG
    # lcore ids of its own: a mempool's per-lcore caches are shared
    # memory, indexed by lcore id
    prim = Testpmd("primary", ["stdbuf", "-oL", conf["testpmd"], "-l", "0-1",
                               "-m", "256"] + eal + pargs + tpmd)
    sec = None
    results = {}

    def pool(what):
        pi = subprocess.run([conf["proc_info"]] + eal + sargs[:-1] +
                            ["--", "--show-mempool=mb_pool_0"],
                            capture_output=True, text=True, timeout=60)
        prim.mark("proc-info %s rc=%d\n%s%s" % (what, pi.returncode,
                                               pi.stdout, pi.stderr))

    try:
        prim.cmd("show port info 0")
        time.sleep(1.0)
        # the pool with the ports started and nothing forwarded yet (a
        # proc-info is a secondary too: attach_during_reset's must be
        # the first, so it counts after the reset)
        if conf["scenario"] != "attach_during_reset":
            pool("before")
        sec_argv = ["stdbuf", "-oL", conf["testpmd"], "--lcores=2@0,3@1",
                    "--proc-type=secondary"] + eal + sargs + tpmd
        tel = [sys.executable, conf["telemetry"], "-f",
               "mlx4r_mp_" + conf["case"]] if conf["telemetry"] else None
        if conf["scenario"] in ("attach_during_reset",
                                "attach_during_slow_reset"):
            ctl = os.environ["MLX4R_KFACE_CTL"]
            if conf["scenario"] == "attach_during_reset":
                # a catastrophic error whose device comes back 3 s late:
                # the primary's reset is on (REINIT, between two
                # contexts) for longer than the 2 s a secondary waits
                # for an answer; the secondary probes meanwhile, the
                # first one to ask for the command file
                ctls = [["reappear", "3000"], ["fatal", "100"]]
            else:
                # an operator's reset that meets a slow firmware: its
                # next 2 object commands take 2.5 s each, under the
                # primary's control lock (DRAINING's release of the
                # QPs, modify to RESET)
                ctls = [["slow", "2500", "2"]]
            for c in ctls:
                r = subprocess.run([sys.executable, conf["ctl"], "--socket",
                                    ctl] + c, capture_output=True, text=True)
                prim.mark("ctl %s: %s%s" % (c[0], r.stdout.strip(),
                                            r.stderr.strip()))
            if conf["scenario"] == "attach_during_slow_reset":
                r = subprocess.run(tel, input="/mlx4r/reset,0\n",
                                   capture_output=True, text=True, timeout=30)
                prim.mark("tel reset: %s" % " ".join(
                    l.strip() for l in r.stdout.splitlines()
                    if l.strip().startswith("{")))
            time.sleep(0.5)
            t0 = time.monotonic()
            sec = Testpmd("secondary", sec_argv)
            sec.sync()  # probed, its prompt
            sec.mark("probed in %.1f s" % (time.monotonic() - t0))
            r = subprocess.run(tel, input="/mlx4r/state,0\n",
                               capture_output=True, text=True, timeout=30)
            sec.mark("state at its probe: %s" % " ".join(
                l.strip() for l in r.stdout.splitlines()
                if l.strip().startswith("{")))
            # until the primary is live again (generation 2), the
            # secondary not forwarding yet
            state = ""
            end = time.monotonic() + 20
            while time.monotonic() < end:
                r = subprocess.run(tel, input="/mlx4r/state,0\n",
                                   capture_output=True, text=True, timeout=30)
                state = " ".join(l.strip() for l in r.stdout.splitlines()
                                 if l.strip().startswith("{"))
                if '"state": "live", "generation": 2,' in state:
                    break
                time.sleep(0.2)
            sec.mark("state after: %s" % state)
            time.sleep(0.5)
            if conf["scenario"] == "attach_during_reset":
                pool("before")
            sec.mark("after the reset")
        else:
            sec = Testpmd("secondary", sec_argv)
        sec.cmd("set fwd io")
        sec.cmd("start", 1.5)
        sec.cmd("show port stats all", 1.0)
        sec.cmd("show port stats all", 0.5)
        if conf["scenario"] in ("reset", "reset_passive"):
            ctl = os.environ["MLX4R_KFACE_CTL"]
            sec.mark("fatal")
            r = subprocess.run([sys.executable, conf["ctl"], "--socket", ctl,
                                "fatal", "100"], capture_output=True, text=True)
            sec.mark("ctl fatal: %s%s" % (r.stdout.strip(), r.stderr.strip()))
            if conf["scenario"] == "reset_passive":
                # the primary's application acknowledges and restarts,
                # while the secondary's lcore keeps polling the queues
                time.sleep(1.0)
                prim.cmd("port stop all")
                prim.cmd("port reset all", 1.5)
                # a start during the recovery may be refused: again
                prim.cmd("port start all", 1.5)
                prim.cmd("port start all", 1.0)
            else:
                time.sleep(4.0)
            sec.mark("after the reset")
        if conf["scenario"] == "stall":
            # the harness's own check (case kface_mp_harness_deadline): a
            # primary stopped (SIGSTOP) while the secondary forwards, and
            # the driver waiting on it past its deadline
            os.kill(prim.p.pid, signal.SIGSTOP)
            sec.mark("primary stopped")
            signal.alarm(3)
            prim.cmd("show port stats all")
            prim.cmd("show port stats all")
            prim.sync()
            time.sleep(3600)
        if conf["scenario"] in ("operator", "operator3"):
            sec.mark("uar maps before %d" % uar_maps(sec.p.pid))
            for _ in range(3 if conf["scenario"] == "operator3" else 1):
                # an operator's reset of the device, on the primary's
                # telemetry
                sec.mark("operator reset")
                r = subprocess.run([sys.executable, conf["telemetry"], "-f",
                                    "mlx4r_mp_" + conf["case"]],
                                   input="/mlx4r/reset,0\n",
                                   capture_output=True, text=True, timeout=30)
                sec.mark("tel reset: %s" % " ".join(
                    l.strip() for l in r.stdout.splitlines()
                    if l.strip().startswith("{")))
                time.sleep(2.0)
            sec.mark("uar maps after %d" % uar_maps(sec.p.pid))
            sec.mark("after the reset")
        if conf["scenario"] == "kill":
            # The secondary dies while it forwards (SIGKILL: no close,
            # its lcores' in-burst markers as they were), then the
            # operator's reset on the primary's telemetry, which must
            # end. Whether an lcore was inside a burst at the kill is
            # chance: up to KILL_ROUNDS secondaries, one after the
            # other, until one was (the primary's log says so).
            tel = [sys.executable, conf["telemetry"], "-f",
                   "mlx4r_mp_" + conf["case"]]
            for rnd in range(KILL_ROUNDS):
                if rnd > 0:
                    sec = Testpmd("secondary", sec_argv)
                    sec.cmd("set fwd io")
                    sec.cmd("start", 1.0)
                    sec.cmd("show port stats all", 0.5)
                sec.cmd("show port stats all")
                sec.sync()  # its rates printed
                prim.mark("round %d: secondary Rx-pps %r" %
                          (rnd, last_rates(sec.text())))
                prim.mark("round %d: SIGKILL" % rnd)
                sec.p.kill()
                rc = sec.wait()
                prim.mark("round %d: secondary killed rc=%d" % (rnd, rc))
                t0 = time.monotonic()
                r = subprocess.run(tel, input="/mlx4r/reset,0\n",
                                   capture_output=True, text=True, timeout=30)
                prim.mark("round %d: tel reset: %s" % (rnd, " ".join(
                    l.strip() for l in r.stdout.splitlines()
                    if l.strip().startswith("{"))))
                # its end: LIVE, a result in the history for this round
                state = ""
                while time.monotonic() < t0 + 20:
                    r = subprocess.run(tel, input="/mlx4r/state,0\n",
                                       capture_output=True, text=True,
                                       timeout=30)
                    state = " ".join(l.strip() for l in r.stdout.splitlines()
                                     if l.strip().startswith("{"))
                    m = re.search(r'"resets_started": (\d+), '
                                  r'"resets_succeeded": (\d+), '
                                  r'"resets_failed": (\d+), '
                                  r'"resets_cancelled": (\d+)', state)
                    if '"state": "live"' in state and m is not None and \
                            int(m[1]) == rnd + 1 and \
                            int(m[2]) + int(m[3]) + int(m[4]) == rnd + 1:
                        break
                    time.sleep(0.2)
                prim.mark("round %d: tel after %.1f s: %s"
                          % (rnd, time.monotonic() - t0, state))
                if '"resets_cancelled": 0' not in state or \
                        "exited inside a burst" in prim.text():
                    break
            results["rounds"] = rnd + 1
            results["secondary"] = rc
            prim.cmd("show port stats all")
            # every mbuf back in the pool once the ports are stopped
            prim.cmd("port stop all", 0.5)
            pool("after")
            prim.cmd("quit")
            results["primary"] = prim.wait(60)
            return results, prim, sec
        if conf["scenario"] == "primary_first":
            prim.cmd("quit")
            results["primary"] = prim.wait()
            sec.mark("primary exited rc=%d" % results["primary"])
            # testpmd's secondary quits by itself when told (see the case)
            results["secondary"] = sec.wait()
            return results, prim, sec
        sec.cmd("show port stats all", 1.0)
        sec.cmd("show port stats all")
        sec.cmd("stop")
        sec.cmd("quit")
        results["secondary"] = sec.wait()
        prim.cmd("show port stats all")
        # every mbuf back in the pool once the ports are stopped
        prim.cmd("port stop all", 0.5)
        pool("after")
        prim.cmd("quit")
        results["primary"] = prim.wait()
        return results, prim, sec
    except Deadline as e:
        results["deadline"] = str(e)
        for t in (prim, sec):
            if t is not None and t.p.poll() is None:
                t.mark("%s: still running, its threads:\n%s"
                       % (e, where_is(t.p.pid)))
        return results, prim, sec
    finally:
        for t in (prim, sec):
            if t is not None and t.p.poll() is None:
                t.p.kill()
                t.wait()


def inner_main(conf):
    # The driver's own deadline, before the case's timeout of its run
    # (run_inner) and meson's: on it, or on the case's SIGTERM, the
    # processes' outputs and threads are printed (Deadline), not lost.
    signal.signal(signal.SIGALRM, on_deadline)
    signal.signal(signal.SIGTERM, on_deadline)
    signal.alarm(conf.get("deadline", INNER_DEADLINE))
    try:
        results, prim, sec = inner(conf)
    finally:
        signal.alarm(0)
    print("=== primary (rc %s)" % results.get("primary"))
    print(prim.text())
    print("=== secondary (rc %s)" % results.get("secondary"))
    print(sec.text() if sec else "")
    print("=== results %s" % json.dumps(results))
    return 0


# -- the cases ---------------------------------------------------------------

def run_inner(env, scenario, driver="mlx4r", devargs="", pages=256,
              deadline=INNER_DEADLINE):
    if driver == "upstream":
        need_upstream_pmd(env.args)
    proc_info = shutil.which("dpdk-proc-info")
    if proc_info is None:
        raise Skip("no dpdk-proc-info (Debian package dpdk)")
    telemetry = shutil.which("dpdk-telemetry.py")
    if scenario in ("operator", "kill", "attach_during_reset",
                    "attach_during_slow_reset") and telemetry is None:
        raise Skip("dpdk-telemetry.py is not installed (Debian package dpdk)")
    huge = Hugepages(pages)
    why = huge.reserve()
    try:
        if why is not None:
            raise Skip(why)
        conf = {"case": env.case, "huge": huge.mnt, "driver": driver,
                "devargs": devargs, "plugin": env.plugin_name,
                "testpmd": env.args.testpmd, "proc_info": proc_info,
                "ctl": env.args.ctl, "scenario": scenario,
                "telemetry": telemetry, "deadline": deadline}
        rc, out = env.run([sys.executable, os.path.abspath(__file__),
                           "--inner", json.dumps(conf)],
                          timeout=deadline + 30)
    finally:
        huge.release()
    expect(rc == 0, "the inner driver exits 0 (got %d)" % rc)
    m = re.search(r"=== primary \(rc \S+\)\n(.*)=== secondary \(rc \S+\)\n(.*)"
                  r"=== results (.*)\n", out, re.S)
    expect(m is not None, "both outputs printed")
    results = json.loads(m.group(3))
    expect("deadline" not in results,
           "the scenario ended in time (%s; the processes' threads are in "
           "their outputs above)" % results.get("deadline"))
    return m.group(1), m.group(2), results


def last_rates(out):
    """Rx-pps of the last 'show port stats all' (two ports)."""
    return [int(v) for v in re.findall(r"Rx-pps:\s+(\d+)", out)][-2:]


def in_use(pout, what):
    """mb_pool_0's mbufs in use, as proc-info @what saw them."""
    i = pout.find("[proc-info %s rc=0" % what)
    expect(i >= 0, "proc-info %s exits 0" % what)
    m = re.search(r"Count: avail \((\d+)\), in use \((\d+)\)", pout[i:])
    expect(m is not None, "proc-info %s shows mb_pool_0" % what)
    return int(m.group(2))


def expect_secondary_forwarded(sout):
    st = fwd_stats(sout)
    expect(set(st) == {0, 1}, "the secondary's forward statistics of both ports: %r" % st)
    for p, (rx, tx) in sorted(st.items()):
        expect(rx > 0 and tx > 0,
               "the secondary forwarded on port %d (RX %d, TX %d)" % (p, rx, tx))
    rates = last_rates(sout)
    expect(len(rates) == 2 and all(r > 0 for r in rates),
           "Rx-pps > 0 on both ports in the secondary, got %r" % rates)


def expect_forwarding_after_reset(sout):
    """The secondary's last rates after its "[after the reset" mark: both
    ports receive and send again."""
    after = sout.split("[after the reset")[-1]
    rx = last_rates(after)
    tx = [int(v) for v in re.findall(r"Tx-pps:\s+(\d+)", after)][-2:]
    expect(len(rx) == 2 and all(r > 0 for r in rx) and
           len(tx) == 2 and all(r > 0 for r in tx),
           "the secondary receives and sends again after the reset: "
           "Rx-pps %r, Tx-pps %r" % (rx, tx))


def expect_clean_exits(res, pout, sout, stop_keeps_rx=False):
    """Both exit 0; no mbuf lost: after port stop all, the pool has
    every mbuf back (mlx4r's stop frees the posted Rx buffers), or, with
    @stop_keeps_rx (upstream net_mlx4 keeps its Rx buffers posted while
    stopped), as many in use as before any frame."""
    expect(res.get("secondary") == 0, "the secondary exits 0 (got %s)" % res.get("secondary"))
    expect(res.get("primary") == 0, "the primary exits 0 (got %s)" % res.get("primary"))
    before, after = in_use(pout, "before"), in_use(pout, "after")
    print("mb_pool_0 in use: %d before the secondary, %d after port stop all"
          % (before, after))
    expect(before > 0, "Rx buffers posted at start (%d in use)" % before)
    want = before if stop_keeps_rx else 0
    expect(after == want, "no mbuf lost: %d in use after port stop all, "
           "expected %d" % (after, want))


def case_kface_mp_verbs_forward(env):
    """mlx4r's verbs backend: a stock testpmd secondary forwards on both
    ports (its own mapping of the UAR, from the command file the primary
    passed); the primary counts the same frames (the queues are shared);
    no mbuf lost."""
    pout, sout, res = run_inner(env, "forward")
    expect_in(pout, "net_mlx4r0: 2 port(s) on the verbs backend")
    expect("no forwarding in this process" not in sout,
           "the secondary's ports forward")
    expect_secondary_forwarded(sout)
    expect_clean_exits(res, pout, sout)
    # the primary's view of the shared queue counters
    rx = [int(v) for v in re.findall(r"RX-packets:\s+(\d+)\s+RX-missed", pout)]
    expect(len(rx) >= 2 and all(v > 0 for v in rx[-2:]),
           "the primary counts what the secondary received: %r" % rx[-2:])


def case_kface_mp_upstream_forward(env):
    """Side by side: Debian's net_mlx4 as the primary and in a stock
    testpmd secondary forwards on the kernel face (its secondary maps the
    UAR from the command file its primary passes: mlx4_mp.c
    MLX4_MP_REQ_VERBS_CMD_FD, mlx4.c mlx4_tx_uar_init_secondary())."""
    pout, sout, res = run_inner(env, "forward", driver="upstream")
    expect_in(pout, "Probe PCI driver: net_mlx4")
    expect_secondary_forwarded(sout)
    expect_clean_exits(res, pout, sout, stop_keeps_rx=True)


def case_kface_mp_verbs_reset(env):
    """A catastrophic error while the secondary forwards: the primary's
    reset proves the secondary's lcore quiescent (membarrier
    GLOBAL_EXPEDITED, the shared in-burst markers), recovers (proactive),
    sends the new command file; the secondary forwards again through its
    new UAR mapping; no mbuf lost."""
    pout, sout, res = run_inner(env, "reset")
    expect_in(sout, "ctl fatal: ok")
    for p in (0, 1):
        expect_in(pout, "Port %d: error recovering event" % p)
        expect_in(pout, "Port %d: error recovery successful event" % p)
    expect(re.search(r"live again, generation 2", pout) is not None,
           "mlx4r: live again (generation 2: one reset)")
    after = sout.split("[after the reset")[-1]
    rates = last_rates(after)
    expect(len(rates) == 2 and all(r > 0 for r in rates),
           "Rx-pps > 0 on both ports in the secondary after the reset, got %r" % rates)
    # Tx through the new context's UAR, which the REMAP message mapped
    tx = [int(v) for v in re.findall(r"Tx-pps:\s+(\d+)", after)][-2:]
    expect(len(tx) == 2 and all(r > 0 for r in tx),
           "Tx-pps > 0 on both ports in the secondary after the reset, got %r" % tx)
    expect_secondary_forwarded(sout)
    expect_clean_exits(res, pout, sout)


def case_kface_mp_verbs_reset_passive(env):
    """The same error in passive mode: the primary's application stops,
    resets and starts the ports while the secondary's lcore polls them
    (barred: its bursts refuse); the secondary forwards again, through
    the new context's UAR; no mbuf lost."""
    pout, sout, res = run_inner(env, "reset_passive",
                                devargs=",recovery=passive,reset_deadline_ms=10000")
    expect_in(sout, "ctl fatal: ok")
    for p in (0, 1):
        expect_in(pout, "Port %d: reset event" % p)
        expect(re.search(r"port %d \(physical port %d\) acknowledged the reset"
                         % (p, p + 1), pout) is not None,
               "port %d acknowledged the reset (testpmd's port reset)" % p)
    expect(re.search(r"live again, generation 2", pout) is not None,
           "mlx4r: live again (generation 2: one reset)")
    expect_forwarding_after_reset(sout)
    expect_clean_exits(res, pout, sout)


def case_kface_mp_verbs_operator_reset(env):
    """An operator's reset of the device (telemetry /mlx4r/reset on the
    primary, proactive) while the secondary forwards: a new verbs
    context, both recovery events, the secondary receiving and sending
    again through the new UAR; no mbuf lost."""
    pout, sout, res = run_inner(env, "operator")
    m = re.search(r"\[tel reset: (.*) ", sout)
    expect(m is not None and '"/mlx4r/reset"' in m.group(1),
           "telemetry answered the reset: %s" % (m.group(1) if m else None))
    for p in (0, 1):
        expect_in(pout, "Port %d: error recovering event" % p)
        expect_in(pout, "Port %d: error recovery successful event" % p)
    expect(re.search(r"live again, generation 2", pout) is not None,
           "mlx4r: live again (generation 2: one reset)")
    expect_forwarding_after_reset(sout)
    expect_clean_exits(res, pout, sout)


def case_kface_mp_harness_prompt(env):
    """The inner driver's console (Testpmd): a prompt cut by testpmd's
    event lines, after its first character as seen on DPDK 24.11 or in
    its middle, is a prompt, and the next command is typed at once (each
    command here may wait 5 s for its prompt: the six take well under
    that in all)."""
    t = Testpmd("console", [sys.executable, "-c", FAKE_CONSOLE])
    t0 = time.monotonic()
    for line in ("reset", "lsc", "lsc_start", "next"):
        t.cmd(line, timeout=5)
    t.sync(timeout=5)
    took = time.monotonic() - t0
    with t.cond:
        prompts = t.prompts  # before the exit, which sets it "infinite"
    t.cmd("quit", timeout=5)
    rc = t.wait(10)
    out = t.text()
    print(out)
    expect(rc == 0, "the console exits 0 (got %d)" % rc)
    expect(prompts == 5, "five prompts counted, got %d" % prompts)
    expect(took < 5, "the commands typed at each prompt: %.1f s for four, "
           "not a wait of 5 s for a prompt missed" % took)
    expect_in(out, "next\nDone", "the command after the cut prompts ran")


def case_kface_mp_harness_deadline(env):
    """The harness's own deadline: a primary that stops answering (its
    process stopped) while the secondary forwards. The inner driver gives
    up at its deadline (3 s after the stop here), and the case still has both outputs, each live
    process's threads (their names and states, and gdb's backtraces when
    gdb is installed), and the failure says so; the processes are gone
    after."""
    try:
        run_inner(env, "stall")
        failed = None
    except CaseFailed as e:
        failed = str(e)
    expect(failed is not None and "the scenario ended in time" in failed
           and "inner driver's deadline" in failed,
           "the case fails on the inner deadline, got %r" % failed)
    out = env.last_output
    expect_in(out, "[primary stopped")
    m = re.search(r"=== primary \(rc \S+\)\n(.*)=== secondary \(rc \S+\)\n"
                  r"(.*)=== results ", out, re.S)
    expect(m is not None, "both outputs printed")
    for who, part in (("primary", m.group(1)), ("secondary", m.group(2))):
        m = re.search(r"SIGALRM: the inner driver's deadline: still "
                      r"running, its threads:\n  thread (\d+) ", part)
        expect(m is not None, "the %s's threads listed" % who)
        expect(re.search(r"  thread \d+ \S+\s+%s " %
                         ("T" if who == "primary" else "[RS]"), part)
               is not None,
               "the %s's state (%s)" % (who, "stopped" if who == "primary"
                                        else "running or sleeping"))
        if shutil.which("gdb"):
            expect(re.search(r"\n#0 ", part) is not None,
                   "gdb's backtrace of the %s" % who)
    for pid in re.findall(r"  thread (\d+) ", out):
        expect(not os.path.exists("/proc/%s" % pid),
               "thread %s gone after the case" % pid)


def expect_probed_in_reset(pout, sout, res, states):
    """The secondary probed while the primary's reset was in one of
    @states (a regex of reset states), got its answer, and after the one
    reset (generation 2) it received and sent; both exited cleanly."""
    m = re.search(r"\[probed in ([\d.]+) s ", sout)
    expect(m is not None, "the secondary probed")
    print("secondary probed in %s s" % m.group(1))
    m = re.search(r"\[state at its probe: (.*) [\d.]+\]", sout)
    expect(m is not None and
           re.search(r'"state": "(%s)"' % states, m.group(1)) is not None,
           "the primary was still in its reset (%s) when the secondary had "
           "probed: %s" % (states, m.group(1) if m else None))
    expect("no answer from the primary" not in sout and
           "no forwarding in this process" not in sout,
           "the secondary got its answer and forwards")
    expect(re.search(r"live again, generation 2", pout) is not None,
           "mlx4r: live again (generation 2: one reset)")
    expect_forwarding_after_reset(sout)
    expect_secondary_forwarded(sout)
    expect_clean_exits(res, pout, sout)


def case_kface_mp_verbs_attach_during_reset(env):
    """A secondary probes while the primary's reset is on, for longer
    than the 2 s it waits for an answer (a catastrophic error whose
    device comes back 3 s late: REINIT waits for it), and it is the
    first secondary to ask for the command file. The primary answers at
    once, from what it publishes under its own small lock (not the
    control lock): "between two contexts", with the secondary's tag; it
    counts the secondary in its fences from then on and sends it the new
    context's file when REINIT opens it. After the reset the secondary
    receives and sends (Tx through the new UAR); no mbuf lost. Before,
    the answer said "between two contexts" but the primary did not
    count the secondary as one that forwards: no REMAP came, and its Tx
    refused for good (nor did the primary's later fences reach it)."""
    pout, sout, res = run_inner(env, "attach_during_reset")
    expect_in(pout, "[ctl fatal: ok")
    expect_probed_in_reset(pout, sout, res, r"reinit")


def case_kface_mp_verbs_attach_slow_reset(env):
    """A secondary probes while the primary's reset holds its control
    lock for longer than the 2 s the secondary waits for an answer: an
    operator's reset that meets a slow firmware (the kernel face's
    "slow 2500 2": two object commands of 2.5 s, the release of the QPs
    in DRAINING, under the control lock). The primary's multi-process
    thread answers from the context it published under its own lock,
    without the control lock:
    the secondary gets its answer at once (the new context's file, or
    "between two contexts" and the file after), and after the reset it
    receives and sends; no mbuf lost. Before, the answer waited for the
    control lock: the secondary's request timed out ("no forwarding in
    this process (Connection timed out)") and its ports never
    forwarded."""
    pout, sout, res = run_inner(env, "attach_during_slow_reset")
    expect_in(pout, "[ctl slow: ok")
    expect_in(pout, '[tel reset: {"/mlx4r/reset": {"result": 0}}')
    # the slow commands: the release of the QPs in DRAINING (modify to
    # RESET), then REINIT's replay
    expect_probed_in_reset(pout, sout, res, r"draining|resetting|reinit")


def case_kface_mp_verbs_repeated_resets(env):
    """Three operator resets while the secondary forwards: each new
    context's UAR replaces the old one's in place in the secondary
    (mlx4r_mp_link.c mlx4r_mp_map_in_place()), so it maps as many pages
    after them as before (it kept every old page, and each dead
    context's file with it, until the port's close); it forwards again
    through the newest; no mbuf lost."""
    pout, sout, res = run_inner(env, "operator3")
    expect(re.search(r"live again, generation 4", pout) is not None,
           "mlx4r: live again (generation 4: three resets)")
    before = re.search(r"\[uar maps before (\d+) ", sout)
    after = re.search(r"\[uar maps after (\d+) ", sout)
    expect(before is not None and after is not None,
           "the secondary's mappings counted before and after")
    nb, na = int(before.group(1)), int(after.group(1))
    print("secondary: %d UAR mapping(s) before the resets, %d after" % (nb, na))
    expect(nb >= 1, "the secondary maps the UAR (%d mappings)" % nb)
    expect(na == nb, "as many UAR mappings after three resets as before: "
           "%d, then %d" % (nb, na))
    expect_forwarding_after_reset(sout)
    expect_clean_exits(res, pout, sout)


def case_kface_mp_verbs_primary_first(env):
    """The primary exits while the secondary forwards. Stock testpmd's
    own order: the primary's exit tells the secondaries (its
    "primary exiting" request), the secondary stops forwarding, closes
    its ports (this process's view only: mlx4r_port_close() unmaps its
    UAR) and answers, then the primary closes the ports. Both exit 0."""
    pout, sout, res = run_inner(env, "primary_first")
    expect(res.get("primary") == 0, "the primary exits 0 (got %s)" % res.get("primary"))
    expect(res.get("secondary") == 0,
           "the secondary exits 0 after the primary (got %s)" % res.get("secondary"))
    expect_in(sout, "Received notification of primary exiting")
    expect_secondary_forwarded(sout)
    expect_in(pout, "Port 0 is closed")


def case_kface_mp_verbs_secondary_killed(env):
    """A secondary killed (SIGKILL) while it forwards, then an operator's
    reset on the primary (telemetry /mlx4r/reset, proactive); again with
    a new secondary, until one died inside a burst, its lcore's in-burst
    marker set for good (at most KILL_ROUNDS). The primary holds a pidfd
    of each secondary (given with its command file), so such a marker
    stops counting once the process is gone (mlx4r_quiesce.c): every
    reset completes (live, one generation more, none cancelled, no late
    client), then the primary's port stop all returns and it exits 0.
    Before, the reset after a kill inside a burst was cancelled after
    reset_deadline_ms and the stop waited for the dead lcore for ever."""
    pout, sout, res = run_inner(env, "kill")
    rounds = res.get("rounds", 0)
    expect(rounds >= 1, "at least one secondary killed (%d)" % rounds)
    for rnd in range(rounds):
        m = re.search(r"\[round %d: secondary Rx-pps \[(\d+), (\d+)\]" % rnd,
                      pout)
        expect(m is not None and int(m[1]) > 0 and int(m[2]) > 0,
               "round %d: the secondary forwarded before its kill (%s)"
               % (rnd, m.group(0) if m else None))
        expect_in(pout, "[round %d: secondary killed rc=-9" % rnd,
                  "round %d: the secondary died of SIGKILL" % rnd)
        expect_in(pout, '[round %d: tel reset: {"/mlx4r/reset": {"result": 0}}'
                  % rnd, "round %d: telemetry accepted the reset" % rnd)
        m = re.search(r"\[round %d: tel after [\d.]+ s: (.*) [\d.]+\]" % rnd,
                      pout)
        expect(m is not None, "round %d: the state after the reset" % rnd)
        state = m.group(1)
        expect(re.search(r'"state": "live", "generation": %d,' % (rnd + 2),
                         state) is not None and
               '"resets_succeeded": %d,' % (rnd + 1) in state and
               '"resets_cancelled": 0,' in state and
               '"late_clients": 0,' in state,
               "round %d: the reset completed: live, generation %d, none "
               "cancelled, no late client: %s" % (rnd, rnd + 2, state))
    inside = "exited inside a burst: its queue marker cleared" in pout
    print("a secondary died inside a burst: %s (%d round(s))"
          % ("yes" if inside else "no, by chance", rounds))
    expect("still inside" not in pout, "no wait for a dead secondary's lcore")
    stop = pout.split("[typed port stop all")[-1].split("[proc-info after")[0]
    expect("Done" in stop, "port stop all completes")
    expect(res.get("primary") == 0,
           "the primary exits 0 (got %s)" % res.get("primary"))
    # mbufs a dead process held in its lcores' mempool caches are the
    # next secondary's (the same lcore ids); a burst's own are lost
    print("mb_pool_0 in use after port stop all: %d" % in_use(pout, "after"))


CASES = {name[5:]: fn for name, fn in globals().items()
         if name.startswith("case_")}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--inner":
        return inner_main(json.loads(sys.argv[2]))
    return run_cases(CASES, options=OPTIONS, make_env=Env, doc=__doc__)


if __name__ == "__main__":
    sys.exit(main())
