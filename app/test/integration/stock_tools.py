#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""Integration cases: stock dpdk-testpmd and dpdk-test with mlx4r loaded.

The driver is loaded with ``-d librte_net_mlx4r.so`` by bare name through
LD_LIBRARY_PATH, from a private working directory: EAL refuses a plugin
given by a path with a world-writable parent (such as /tmp), and a bare
name that does not resolve against the working directory goes to dlopen's
library search instead, which has no such check. So the cases work
wherever the checkout lives.

Each case prints what it ran and what the tool printed, and exits 0 (pass),
1 (fail) or 77 (skipped, with the reason).

The private working directory, /tmp/mlx4r-it-<random> (tempfile's
directory: $TMPDIR), is removed when the case ends (Env.close(), called
by casemain.run_cases()). When the case failed, its path is printed;
with MLX4R_KEEP_TMP=1 in the environment it is kept then, for a look at
what the tools left there. A case killed by meson test's timeout
(SIGTERM) leaves it.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from casemain import SKIP, CaseFailed, run_cases
from hugepages import Hugepages

EAL_COMMON = ["--no-huge", "-m", "1024", "--no-pci", "--log-level=pmd.net.mlx4r*:info"]


# testpmd's prompt, which another thread's output may cut anywhere
# (cmdline writes it one character at a time; the driver's log lines and
# testpmd's event lines, "\nPort 0: link state change event", come from
# other threads): counted with the whole lines that may sit between its
# characters, as kface.py does, and the forwarding lcore's lines of
# "set verbose 1" (as kface_parity.py counts them).
_LOG_LINE = (r"(?:\n|(?:mlx4r|net_mlx4|EAL|Port \d+[: ]|\[ctl |\[tel |"
             r"port \d+/queue \d+: |  |-----|port=\d|rx: |tx: )[^\n]*\n)*")
PROMPT_WAIT = 20
TESTPMD_PROMPT = re.compile(_LOG_LINE.join(re.escape(c) for c in "testpmd> "))


def run_tool(argv, stdin_lines=(), delay=0.0, timeout=120, env=None,
             cwd=None, prompt=None, strict=False, prompt_wait=PROMPT_WAIT):
    """Run argv, feed stdin lines (with a pause before each), return
    (exit code, combined output). With @p prompt (a compiled regex of
    the tool's prompt), each line waits for the tool's next prompt
    before its pause: nothing is typed ahead of a slow start, so each
    pause is time the previous command really had (a "start" then
    "stop" typed ahead of a start-up that took longer than the pauses
    stopped the forwarding at once: testpmd_fwd_txonly's "port 0 sent
    64 frames" under load). A line "!wait REGEX" is not typed: the next
    line waits until the output matches REGEX. A prompt or a !wait
    output that does not come within PROMPT_WAIT s is noted in the
    output and the line typed anyway; with @p strict, the tool is killed
    instead and the case fails (CaseFailed naming the line). install.py
    drives its testpmd through this too. @p prompt_wait: that bound, in
    seconds (PROMPT_WAIT)."""
    print("$ " + " ".join(argv), flush=True)
    p = subprocess.Popen(argv, cwd=cwd, env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    expired = threading.Event()
    missing = []  # strict: what never came
    buf = bytearray()
    cond = threading.Condition()

    def reader():
        # the feeder below waits on cond for the prompts this appends
        while True:
            b = p.stdout.read1(4096)
            with cond:
                if not b:
                    eof.set()
                    cond.notify_all()
                    return
                buf.extend(b)
                cond.notify_all()

    eof = threading.Event()

    def prompts():
        return len(prompt.findall(buf.decode(errors="replace")))

    def gave_up(note, failure):
        # the wait of one line ran out (the tool still runs): note it
        # in the output, or (strict) kill the tool and fail the case
        if strict:
            missing.append(failure)
            p.kill()
            return True
        buf.extend(b"\n[harness: %s]\n" % note.encode())
        return False

    def feed():
        missed = 0
        try:
            for i, line in enumerate(stdin_lines):
                if line.startswith("!wait "):
                    # not typed: wait (at most PROMPT_WAIT s) until
                    # the output matches the regex, e.g. an event
                    # testpmd prints; it has no prompt of its own
                    pat = re.compile(line[6:])
                    waited = time.monotonic() + prompt_wait
                    with cond:
                        while not pat.search(buf.decode(errors="replace")) \
                                and not eof.is_set() and not expired.is_set() \
                                and time.monotonic() < waited:
                            cond.wait(1.0)
                        if not pat.search(buf.decode(errors="replace")) and \
                                gave_up("%r never came" % line[6:],
                                        "%r never came within %g s"
                                        % (line[6:], prompt_wait)):
                            return
                    missed += 1
                    continue
                if prompt is not None:
                    # a prompt the regex missed (cut by a line it
                    # does not know) must not hang the case: after
                    # PROMPT_WAIT s without it, the line is typed
                    # anyway, and the output says so (strict: fail)
                    waited = time.monotonic() + prompt_wait
                    with cond:
                        while prompts() <= i - missed and not eof.is_set() \
                                and not expired.is_set() \
                                and time.monotonic() < waited:
                            cond.wait(1.0)
                        if prompts() <= i - missed and not eof.is_set() \
                                and not expired.is_set():
                            if gave_up("no prompt before %r, typed anyway"
                                       % line,
                                       "no prompt within %g s before %r"
                                       % (prompt_wait, line)):
                                return
                            missed += 1  # the next waits one fewer
                    if eof.is_set() or expired.is_set():
                        break
                if delay:
                    time.sleep(delay)
                p.stdin.write((line + "\n").encode())
                p.stdin.flush()
            p.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass  # the tool exited early; its output says why

    def kill():
        expired.set()
        p.kill()

    rd = threading.Thread(target=reader, daemon=True)
    writer = threading.Thread(target=feed, daemon=True)
    watchdog = threading.Timer(timeout, kill)
    rd.start()
    writer.start()
    watchdog.start()
    rd.join()
    p.wait()
    watchdog.cancel()
    writer.join(1)
    # universal newlines, as a text-mode pipe gives them (cmdline
    # ends its lines with "\r\n")
    out = buf.decode(errors="replace").replace("\r\n", "\n") \
        .replace("\r", "\n")
    print(out, flush=True)
    if expired.is_set():
        raise CaseFailed("timed out after %ds" % timeout)
    if missing:
        raise CaseFailed(missing[0])
    return p.returncode, out


class Env:
    def __init__(self, args, case):
        self.args = args
        self.case = case
        self.plugin_dir = os.path.dirname(os.path.abspath(args.plugin))
        self.plugin_name = os.path.basename(args.plugin)
        self.workdir = tempfile.mkdtemp(prefix="mlx4r-it-")
        self.env = dict(os.environ)
        ld = self.env.get("LD_LIBRARY_PATH")
        self.env["LD_LIBRARY_PATH"] = self.plugin_dir + (":" + ld if ld else "")

    def close(self):
        """After the case (run_cases(), which set case_failed): the
        working directory goes, unless the case failed and
        MLX4R_KEEP_TMP=1 (see the module's documentation)."""
        if getattr(self, "case_failed", True):
            if os.environ.get("MLX4R_KEEP_TMP") == "1":
                print("working directory kept: %s" % self.workdir, flush=True)
                return
            print("working directory %s removed (MLX4R_KEEP_TMP=1 keeps "
                  "it)" % self.workdir, flush=True)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def eal(self, extra_vdev, lcores="0-1"):
        return ["-l", lcores] + EAL_COMMON + [
            "--file-prefix=mlx4r_it_" + self.case,
            "-d", self.plugin_name,
        ] + [a for v in extra_vdev for a in ("--vdev", v)]

    def run(self, argv, stdin_lines=(), delay=0.0, timeout=120, env=None,
            prompt=None):
        """run_tool() in the case's working directory and environment."""
        return run_tool(argv, stdin_lines, delay=delay, timeout=timeout,
                        env=env or self.env, cwd=self.workdir, prompt=prompt)

    def testpmd(self, vdevs, commands, testpmd_args=(), delay=0.3, wrap=()):
        argv = list(wrap) + ["stdbuf", "-oL", self.args.testpmd] + self.eal(vdevs) + [
            "--", "-i", "--total-num-mbufs=16384", "--no-mlockall",
        ] + list(testpmd_args)
        return self.run(argv, list(commands) + ["quit"], delay=delay,
                        prompt=TESTPMD_PROMPT)


def expect(cond, what):
    if not cond:
        raise CaseFailed(what)
    print("ok: " + what, flush=True)


def expect_in(text, needle, what=None):
    expect(needle in text, what or "output contains %r" % needle)


def field_values(out, name):
    """All integer values printed as 'name: N' (testpmd style)."""
    return [int(v) for v in re.findall(re.escape(name) + r":\s+(\d+)", out)]


# --------------------------------------------------------------------------

# A stand-in for testpmd's console (case harness_prompt_strict): its
# first prompt after 1 s, then one per line read, each line echoed with
# the time since the prompt before it; the line "hang" gets no prompt.
_CONSOLE = r"""
import sys, time
time.sleep(1.0)
t = time.monotonic()
sys.stdout.write("testpmd> "); sys.stdout.flush()
for line in sys.stdin:
    print("got %s after %.2f s" % (line.strip(), time.monotonic() - t))
    if line.strip() == "hang":
        time.sleep(60)
    t = time.monotonic()
    sys.stdout.write("testpmd> "); sys.stdout.flush()
"""


def case_harness_prompt_strict(env):
    # run_tool() itself, as install.py's testpmd_forward uses it: a line
    # is typed only once the prompt before it came (the console's first
    # prompt comes after 1 s: the first line is read after it, not
    # typed ahead), and, strict, a prompt that never comes fails the
    # case within prompt_wait, naming the line.
    argv = [sys.executable, "-c", _CONSOLE]
    rc, out = run_tool(argv, ["one", "two"], delay=0.2, timeout=30,
                       prompt=TESTPMD_PROMPT, strict=True, prompt_wait=5)
    expect(rc == 0, "the console exits 0 (got %d)" % rc)
    got = re.findall(r"got (\w+) after ([\d.]+) s", out)
    expect([g[0] for g in got] == ["one", "two"], "both lines read (%s)" % got)
    expect(all(float(g[1]) >= 0.2 for g in got),
           "each typed after its prompt and the pause (%s)" % got)
    t0 = time.monotonic()
    try:
        run_tool(argv, ["hang", "after"], timeout=30, prompt=TESTPMD_PROMPT,
                 strict=True, prompt_wait=2)
    except CaseFailed as e:
        took = time.monotonic() - t0
        expect(str(e) == "no prompt within 2 s before 'after'",
               "strict: the missing prompt fails, naming the line (%s)" % e)
        expect(took < 10, "within the bound, not the timeout (%.1f s)" % took)
    else:
        expect(False, "strict: a missing prompt fails the case")


def case_testpmd_probe(env):
    rc, out = env.testpmd(["net_mlx4r0"], ["show port info 0"])
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    expect_in(out, "Driver name: net_mlx4r")
    expect_in(out, "Device name: net_mlx4r0")
    expect_in(out, "Max possible RX queues: 16")
    expect_in(out, "Max possible TX queues: 16")
    expect_in(out, "Maximum configurable length of RX packet: %d" % (9600 + 14 + 4 + 8))
    expect(re.search(r"MAC address: 00:02:C9:", out, re.I) is not None,
           "the device's MAC under Mellanox's OUI 00:02:c9")


def case_testpmd_bad_devarg(env):
    # testpmd goes on without the device ("No probed ethernet devices"):
    # the probe must fail, name the key and create no port.
    for devarg, message in (("bogus=1", 'unknown devarg "bogus"'),
                            ("ports=7", "devarg ports=7"),
                            ("ports=2,backend=fpga", "devarg backend=fpga")):
        argv = [env.args.testpmd] + env.eal(["net_mlx4r0," + devarg]) + [
            "--", "--total-num-mbufs=16384", "--no-mlockall"]
        rc, out = env.run(argv)
        expect_in(out, message, "the error for %s names key (and value)" % devarg)
        expect_in(out, "failed to initialize net_mlx4r0",
                  "the probe of net_mlx4r0,%s fails" % devarg)
        expect_in(out, "No probed ethernet devices", "no port was created")


def case_testpmd_two_ports_forward(env):
    # tx_first: every port sends 4 bursts of 32 before rxonly forwarding
    # starts; the ports are cross-connected, so each receives the other's.
    rc, out = env.testpmd(["net_mlx4r0,ports=2,wire=xconnect"], [
        "set fwd rxonly",
        "start tx_first 4",
        "show port stats all",
        "stop",
    ], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    expect_in(out, "Port 1: ", "second port created")
    rx = field_values(out, "RX-packets")
    tx = field_values(out, "TX-packets")
    expect(len(rx) > 0 and max(rx) == 256,
           "accumulated RX-packets equals 2 x 128 (saw %s)" % rx)
    expect(len(tx) > 0 and max(tx) == 256,
           "accumulated TX-packets equals 2 x 128 (saw %s)" % tx)


def case_testpmd_generator_forward(env):
    # The default wire is the built-in generator + checker: io forwarding
    # between the two ports moves traffic out of the box, as with net_null.
    rc, out = env.testpmd(["net_mlx4r0,ports=2"], [
        "set fwd io",
        "start",
        "show port stats all",
        "stop",
        "show port xstats 0",
    ], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    expect_in(out, "Port 1: ", "second port created")
    rx = field_values(out, "RX-packets")
    tx = field_values(out, "TX-packets")
    expect(len(rx) > 0 and max(rx) > 1000,
           "generated frames received (RX-packets %s)" % rx)
    expect(len(tx) > 0 and max(tx) > 1000,
           "and forwarded (TX-packets %s)" % tx)
    expect_in(out, "rx_missed_errors", "xstats listed")


def case_testpmd_port_stop_start(env):
    rc, out = env.testpmd(["net_mlx4r0"], [
        "port stop 0",
        "show port info 0",
        "port start 0",
        "show port info 0",
    ])
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    links = re.findall(r"Link status: (\w+)", out)
    expect(links == ["down", "up"],
           "link down after stop, up after start (saw %s)" % links)


def case_dpdk_test_pmd_perf(env):
    if os.cpu_count() < 2:
        return skip("pmd_perf_autotest needs two lcores")
    # Twice in one session: the test stops only the ports on its lcore's
    # socket, so a port on socket -1 stays started and the second run's
    # configure fails and exits the process.
    argv = [env.args.dpdk_test] + env.eal(["net_mlx4r0"])
    rc, out = env.run(argv, ["pmd_perf_autotest", "pmd_perf_autotest"],
                      delay=0.5, timeout=280)
    expect(rc == 0, "dpdk-test exits 0 (got %d)" % rc)
    expect(out.count("Test OK") == 2,
           "pmd_perf_autotest passes twice in one session (%d)"
           % out.count("Test OK"))
    expect("Cannot configure device" not in out, "no configure failure")
    m = re.search(r"(\d+) cycles per packet|\(\d+ cycles\)|cycles: (\d+)", out)
    print("pmd_perf_autotest figure: %s" % (m.group(0) if m else "n/a"))


def case_verbs_backend_no_card(env):
    # The plugin itself needs no rdma-core library (the backend is a
    # separate object opened on demand), and backend=verbs on a machine
    # without a ConnectX-3 fails the probe, naming the device.
    rc, out = env.run(["readelf", "-d", os.path.abspath(env.args.plugin)])
    expect(rc == 0, "readelf reads the plugin")
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)
    expect(needed and not any("ibverbs" in n or "mlx4" in n for n in needed),
           "librte_net_mlx4r.so does not need libibverbs/libmlx4 (%s)" % needed)
    argv = [env.args.testpmd] + env.eal(["net_mlx4r0,backend=verbs,ibdev=mlx4_0"]) + [
        "--", "--total-num-mbufs=16384", "--no-mlockall"]
    rc, out = env.run(argv)
    if "Device mlx4_0 opened" in out:
        return skip("this machine has a ConnectX-3")
    expect_in(out, "cannot open the verbs device mlx4_0",
              "the probe error names the RDMA device")
    # the first probe's words (mlx4r_verbs.c verbs_absent()): a device
    # never open in this process is missing, not away
    expect("is mlx4_ib loaded?" in out or "no RDMA device named mlx4_0" in out,
           "the backend says why: no RDMA device (is mlx4_ib loaded?)")
    expect_in(out, "failed to initialize net_mlx4r0", "the probe fails")
    expect_in(out, "No probed ethernet devices", "no port was created")


# -- forwarding modes, port commands, RSS, proc-info (one case each) -------

def port_stats(out):
    """Every 'show port stats' block, in order: dicts of port, rx, missed,
    rx_errors, tx, tx_errors."""
    pat = (r"NIC statistics for port (\d+)\s+#+\s+"
           r"RX-packets:\s+(\d+)\s+RX-missed:\s+(\d+)\s+RX-bytes:\s+\d+\s+"
           r"RX-errors:\s+(\d+)\s+RX-nombuf:\s+\d+\s+"
           r"TX-packets:\s+(\d+)\s+TX-errors:\s+(\d+)")
    return [dict(port=int(m[0]), rx=int(m[1]), missed=int(m[2]),
                 rx_errors=int(m[3]), tx=int(m[4]), tx_errors=int(m[5]))
            for m in re.findall(pat, out)]


def last_port_stats(out, port):
    blocks = [b for b in port_stats(out) if b["port"] == port]
    expect(len(blocks) > 0, "port stats of port %d printed" % port)
    return blocks[-1]


def fwd_port_stats(out):
    """The 'Forward statistics for port N' blocks of the last 'stop', as
    {port: dict(rx, rx_dropped, tx, tx_dropped[, bad_ip, bad_l4])}."""
    res = {}
    pat = (r"Forward statistics for port (\d+)\s+-+\s+"
           r"RX-packets:\s+(\d+)\s+RX-dropped:\s+(\d+)\s+RX-total:\s+\d+\s+"
           r"(?:Bad-ipcsum:\s+(\d+)\s+Bad-l4csum:\s+(\d+)\s+"
           r"Bad-outer-l4csum:\s+\d+\s+Bad-outer-ipcsum:\s+\d+\s+)?"
           r"TX-packets:\s+(\d+)\s+TX-dropped:\s+(\d+)")
    for m in re.findall(pat, out):
        d = dict(rx=int(m[1]), rx_dropped=int(m[2]), tx=int(m[5]),
                 tx_dropped=int(m[6]))
        if m[3] != "":
            d["bad_ip"] = int(m[3])
            d["bad_l4"] = int(m[4])
        res[int(m[0])] = d
    return res


def xstats_blocks(out):
    """Every 'show port xstats' (testpmd) or '--xstats' (proc-info) block,
    in order, as (port, {name: value})."""
    res = []
    for m in re.finditer(r"NIC extended statistics for port (\d+)[ #]*\n"
                         r"(?:#+\n)?((?:[A-Za-z0-9_]+: \d+\n)+)", out):
        vals = {}
        for line in m.group(2).splitlines():
            k, v = line.split(": ")
            vals.setdefault(k, int(v))  # a duplicated name: the first
        res.append((int(m.group(1)), vals))
    return res


def last_xstats(out, port):
    blocks = [v for p, v in xstats_blocks(out) if p == port]
    expect(len(blocks) > 0, "xstats of port %d printed" % port)
    return blocks[-1]


def case_testpmd_fwd_io(env):
    # io: every frame received from the generator goes out of the other
    # port unchanged, to that port's checker.
    rc, out = env.testpmd(["net_mlx4r0,ports=2"], [
        "set fwd io",
        "start",
        "stop",
    ], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    fs = fwd_port_stats(out)
    expect(set(fs) == {0, 1}, "forward statistics of both ports")
    for p in (0, 1):
        expect(fs[p]["rx"] > 1000, "port %d received %d frames"
               % (p, fs[p]["rx"]))
    for p, q in ((0, 1), (1, 0)):
        expect(fs[q]["tx"] > 1000 and
               fs[q]["tx"] + fs[q]["tx_dropped"] == fs[p]["rx"],
               "io: what port %d received (%d) was sent on port %d "
               "(%d sent + %d dropped)" % (p, fs[p]["rx"], q, fs[q]["tx"],
                                           fs[q]["tx_dropped"]))


def case_testpmd_fwd_mac(env):
    # Two ports, each on a loopback wire, not promiscuous, MACs ...:01 and
    # ...:02; each port's peer is the port itself. tx_first puts 4 x 32
    # frames addressed to each port on its own wire. io then forwards them
    # unchanged to the other port, whose MAC filter drops them; mac mode
    # rewrites the destination to the peer of the port that sends, so the
    # other port accepts them and the frames keep going round.
    mac = ["02:00:00:00:00:01", "02:00:00:00:00:02"]
    rc, out = env.testpmd(["net_mlx4r0,ports=2,wire=loopback"], [
        "port stop all",
        "mac_addr set 0 " + mac[0],
        "mac_addr set 1 " + mac[1],
        "port start all",
        "set promisc all off",
        "set fwd io",
        "start tx_first 4",
        "stop",
        "show port xstats all",
        "clear port xstats all",
        "set fwd mac",
        "start tx_first 4",
        "stop",
        "show port xstats all",
    ], testpmd_args=["--eth-peer=0," + mac[0], "--eth-peer=1," + mac[1]],
        delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    blocks = xstats_blocks(out)
    expect(len(blocks) == 4, "xstats printed after each run (%d)"
           % len(blocks))
    io = {p: v for p, v in blocks[:2]}
    mac_run = {p: v for p, v in blocks[2:]}
    for p in (0, 1):
        expect(io[p]["rx_good_packets"] == 128,
               "io: port %d received its own 128 frames only (%d)"
               % (p, io[p]["rx_good_packets"]))
        expect(io[p]["rx_steering_dropped"] == 128,
               "io: port %d's MAC filter dropped the 128 frames the other "
               "port forwarded unchanged (%d)"
               % (p, io[p]["rx_steering_dropped"]))
        expect(mac_run[p]["rx_steering_dropped"] == 0,
               "mac: port %d dropped nothing: destinations rewritten (%d)"
               % (p, mac_run[p]["rx_steering_dropped"]))
        expect(mac_run[p]["rx_good_packets"] > 10000,
               "mac: frames keep going round (port %d received %d)"
               % (p, mac_run[p]["rx_good_packets"]))


def case_testpmd_fwd_txonly(env, wrap=()):
    # txonly on cross-connected ports: nothing is polled, so each port's
    # receive ring fills and the rest is missed. Then rxonly drains the
    # rings: every frame one port sent is accounted for at the other one,
    # received or missed.
    rc, out = env.testpmd(["net_mlx4r0,ports=2,wire=xconnect"], [
        "set fwd txonly",
        "start",
        "stop",
        "set fwd rxonly",
        "start",
        "stop",
        "show port stats all",
    ], delay=0.5, wrap=wrap)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    st = {p: last_port_stats(out, p) for p in (0, 1)}
    for p, q in ((0, 1), (1, 0)):
        expect(st[p]["tx"] > 10000, "txonly: port %d sent %d frames"
               % (p, st[p]["tx"]))
        expect(st[q]["rx"] > 0, "the peer port %d received %d"
               % (q, st[q]["rx"]))
        expect(st[q]["rx"] + st[q]["missed"] == st[p]["tx"],
               "every frame port %d sent (%d) reached port %d: "
               "%d received + %d missed"
               % (p, st[p]["tx"], q, st[q]["rx"], st[q]["missed"]))


def case_testpmd_slow_start(env):
    # testpmd_fwd_txonly behind a start-up 2 s longer than usual, longer
    # than the pauses before "stop", as under load: each command waits for testpmd's prompt,
    # so "start" and "stop" still have their 0.5 s between them (typed
    # ahead, they ran back to back: "port 0 sent 64 frames").
    case_testpmd_fwd_txonly(env, wrap=["sh", "-c", 'sleep 2; exec "$@"', "sh"])


def case_testpmd_fwd_rxonly(env):
    rc, out = env.testpmd(["net_mlx4r0,ports=2"], [
        "set fwd rxonly",
        "start",
        "stop",
        "show port stats all",
    ], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    fs = fwd_port_stats(out)
    for p in (0, 1):
        expect(fs[p]["rx"] > 1000, "rxonly: port %d received %d frames"
               % (p, fs[p]["rx"]))
        expect(fs[p]["tx"] == 0, "rxonly: port %d sent nothing" % p)
        st = last_port_stats(out, p)
        expect(st["rx_errors"] == 0 and st["tx"] == 0,
               "port %d: no Rx errors, TX-packets 0" % p)


def case_testpmd_fwd_csum(env):
    # Checksum offloads between cross-connected ports. First rxonly with
    # verbose output: the Rx flags of the frames tx_first sent must say
    # good IPv4 and UDP checksums. Then the csum engine, with IPv4 and UDP
    # checksums computed by the device on Tx: frames go round, and none
    # arrives with a bad checksum.
    rc, out = env.testpmd(["net_mlx4r0,ports=2,wire=xconnect"], [
        "port stop all",
        "csum set ip hw 0",
        "csum set udp hw 0",
        "csum set ip hw 1",
        "csum set udp hw 1",
        "port start all",
        "csum show 0",
        "set fwd rxonly",
        "set verbose 1",
        "start tx_first 1",
        "stop",
        "set verbose 0",
        "set fwd csum",
        "start tx_first 4",
        "stop",
    ], testpmd_args=["--enable-rx-cksum"], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    expect_in(out, "IP checksum offload is hw")
    expect_in(out, "UDP checksum offload is hw")
    flags = re.findall(r"ol_flags: ([A-Z0-9_ ]+)", out)
    expect(len(flags) == 64, "64 frames printed by rxonly (%d)" % len(flags))
    expect(all("RTE_MBUF_F_RX_IP_CKSUM_GOOD" in f and
               "RTE_MBUF_F_RX_L4_CKSUM_GOOD" in f for f in flags),
           "each with RX_IP_CKSUM_GOOD and RX_L4_CKSUM_GOOD")
    fs = fwd_port_stats(out)
    for p in (0, 1):
        expect("bad_ip" in fs[p], "csum engine statistics of port %d" % p)
        expect(fs[p]["rx"] > 10000, "csum: port %d forwarded %d frames"
               % (p, fs[p]["rx"]))
        expect(fs[p]["bad_ip"] == 0 and fs[p]["bad_l4"] == 0,
               "csum: port %d Bad-ipcsum %d, Bad-l4csum %d"
               % (p, fs[p]["bad_ip"], fs[p]["bad_l4"]))


def case_testpmd_show_port(env):
    rc, out = env.testpmd(["net_mlx4r0,ports=2"], [
        "set fwd rxonly",
        "start",
        "stop",
        "show port info 1",
        "show port stats 1",
        "show port xstats 1",
    ], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    for line in ("Infos for port 1", "Device name: net_mlx4r0_port2",
                 "Driver name: net_mlx4r", "Link status: up",
                 "Link speed: 40 Gbps", "Link duplex: full-duplex",
                 "MTU: 1500", "Promiscuous mode: enabled",
                 "Maximum number of MAC addresses: 16",
                 "Hash key size in bytes: 40", "Redirection table size: 64",
                 # tx_desc_lim: a TSO frame's bound (the largest header
                 # inline), a frame of the MTU's
                 "Max segment number per packet: 18",
                 "Max segment number per MTU/TSO: 31",
                 "Max possible number of RXDs per queue: 8192",
                 "Min possible number of RXDs per queue: 64",
                 "RXDs number alignment: 64",
                 "Min possible number of TXDs per queue: 64",
                 "TXDs number alignment: 64",
                 "Device error handling mode: "):
        expect_in(out, line)
    st = last_port_stats(out, 1)
    xs = last_xstats(out, 1)
    expect(st["rx"] > 1000, "stats: RX-packets %d" % st["rx"])
    expect(xs["rx_good_packets"] == st["rx"] and
           xs["rx_q0_packets"] == st["rx"],
           "xstats rx_good_packets and rx_q0_packets equal RX-packets (%d)"
           % st["rx"])
    expect(xs["rx_missed_errors"] == st["missed"],
           "xstats rx_missed_errors equals RX-missed (%d)" % st["missed"])
    for name in ("rx_steering_dropped", "rx_device_errors",
                 "tx_link_down_dropped", "tx_unregistered_memory_dropped",
                 "rx_refused_bursts", "tx_refused_packets",
                 "tx_too_many_segs"):
        expect(xs.get(name) == 0, "xstat %s is 0" % name)


def case_testpmd_port_restart_forward(env):
    # Forward, stop the ports, start them again: the link comes back,
    # traffic flows again and the counters carried on.
    rc, out = env.testpmd(["net_mlx4r0,ports=2"], [
        "set fwd io",
        "start",
        "stop",
        "show port stats 0",
        "port stop all",
        "show port info 0",
        "port start all",
        "show port info 0",
        "start",
        "stop",
        "show port stats 0",
    ], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    links = re.findall(r"Link status: (\w+)", out)
    expect(links == ["down", "up"],
           "link down after stop, up after start (saw %s)" % links)
    before = [b for b in port_stats(out) if b["port"] == 0]
    expect(len(before) == 2, "two stats blocks")
    expect(before[0]["rx"] > 1000, "traffic before the restart (%d)"
           % before[0]["rx"])
    expect(before[1]["rx"] > before[0]["rx"] + 1000 and
           before[1]["tx"] > before[0]["tx"] + 1000,
           "traffic after the restart (RX %d -> %d, TX %d -> %d)"
           % (before[0]["rx"], before[1]["rx"], before[0]["tx"],
              before[1]["tx"]))


def case_testpmd_rss_config(env):
    # port config all rss <type> then show port 0 rss-hash: the driver
    # keeps what it supports of each request.
    rc, out = env.testpmd(["net_mlx4r0,ports=2"], [
        "show port 0 rss-hash",
        "port config all rss udp",
        "show port 0 rss-hash",
        "port config all rss tcp",
        "show port 0 rss-hash",
        "port config all rss ip",
        "show port 0 rss-hash",
        "port config all rss none",
        "show port 0 rss-hash",
    ], testpmd_args=["--rxq=2", "--txq=2"])
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    shown = re.findall(r"show port 0 rss-hash\n(RSS disabled|RSS functions:"
                       r"\n([a-z0-9\- ]+))", out)
    got = [s[1].split() if s[0] != "RSS disabled" else None for s in shown]
    ip = ["ipv4", "ipv4-frag", "ipv4-other", "ipv6", "ipv6-frag",
          "ipv6-other"]
    expect(len(got) == 5, "five rss-hash listings (%d)" % len(got))
    expect(got[0] == ip, "default: IP (%s)" % got[0])
    expect(got[1] == ["ipv4-udp", "ipv6-udp"], "udp (%s)" % got[1])
    expect(got[2] == ["ipv4-tcp", "ipv6-tcp"], "tcp (%s)" % got[2])
    expect(got[3] == ip, "ip (%s)" % got[3])
    expect(got[4] is None, "none: RSS disabled")


def case_testpmd_rss_spread(env):
    # Two Rx queues per port, 16 generator flows: RSS spreads them over both
    # queues; with 'port config all rss none' everything goes to queue 0.
    rc, out = env.testpmd(["net_mlx4r0,ports=2,gen_flows=16"], [
        "set fwd rxonly",
        "start",
        "stop",
        "show port xstats 0",
        "port config all rss none",
        "clear port xstats all",
        "start",
        "stop",
        "show port xstats 0",
    ], testpmd_args=["--rxq=2", "--txq=2"], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    blocks = [v for p, v in xstats_blocks(out) if p == 0]
    expect(len(blocks) == 2, "two xstats listings")
    q0, q1 = blocks[0]["rx_q0_packets"], blocks[0]["rx_q1_packets"]
    expect(q0 > 1000 and q1 > 1000, "RSS on: both queues receive "
           "(q0 %d, q1 %d)" % (q0, q1))
    expect(min(q0, q1) * 2 > max(q0, q1), "and about evenly")
    q0, q1 = blocks[1]["rx_q0_packets"], blocks[1]["rx_q1_packets"]
    expect(q0 > 1000 and q1 == 0, "RSS none: queue 0 only (q0 %d, q1 %d)"
           % (q0, q1))


def case_testpmd_rss_three_queues(env):
    # Three Rx queues: the port starts (a ConnectX-3 RSS table is 2^k
    # queues), the default RETA spreads over queues 0 and 1; a RETA the
    # card cannot express is refused and changes nothing. (testpmd's
    # reta command takes a few entries at a time, and every step from
    # this RETA to another one the card can express is one it cannot:
    # the unit suite covers the RETAs taken.)
    rc, out = env.testpmd(["net_mlx4r0,gen_flows=16"], [
        "set fwd rxonly",
        "start",
        "stop",
        "show port xstats 0",
        "port config 0 rss reta (0,2)",
        "clear port xstats all",
        "start",
        "stop",
        "show port xstats 0",
    ], testpmd_args=["--rxq=3", "--txq=3"], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    expect("Fail to start port" not in out, "the port starts")
    expect_in(out, "Bad redirection table parameter, return code = -22",
              "a RETA the card cannot express is refused")
    expect_in(out, "RETA entry 1 is queue 1, not 2",
              "and the log names the entry")
    blocks = [v for p, v in xstats_blocks(out) if p == 0]
    expect(len(blocks) == 2, "two xstats listings")
    for k, what in ((0, "default"), (1, "after the refused RETA")):
        q = [blocks[k]["rx_q%d_packets" % i] for i in range(3)]
        expect(q[0] > 1000 and q[1] > 1000 and q[2] == 0,
               "%s: queues 0 and 1 receive, queue 2 nothing (%s)"
               % (what, q))


def case_testpmd_mtu(env):
    # 1600-byte generator frames: dropped by the port at MTU 1500 (the
    # port's MTU is its netdev's), received once the MTU is 1600; an MTU
    # above the card's is refused.
    rc, out = env.testpmd(["net_mlx4r0,gen_size=1600"], [
        "set fwd rxonly",
        "start",
        "stop",
        "show port xstats 0",
        "port stop 0",
        "port config mtu 0 1600",
        "port start 0",
        "clear port xstats all",
        "start",
        "stop",
        "show port xstats 0",
        "show port info 0",
        "port config mtu 0 9700",
    ], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    blocks = [v for p, v in xstats_blocks(out) if p == 0]
    expect(len(blocks) == 2, "two xstats listings")
    expect(blocks[0]["rx_good_packets"] == 0 and
           blocks[0]["rx_device_errors"] > 1000,
           "MTU 1500: 1600-byte frames dropped by the port (%d received, "
           "%d dropped)" % (blocks[0]["rx_good_packets"],
                            blocks[0]["rx_device_errors"]))
    expect(blocks[1]["rx_good_packets"] > 1000 and
           blocks[1]["rx_device_errors"] == 0,
           "MTU 1600: received (%d)" % blocks[1]["rx_good_packets"])
    expect_in(out, "MTU: 1600")
    expect_in(out, "MTU (9700) > device max MTU (9600)")


def with_primary(env, commands, settle, secondaries):
    """Forwarding testpmd primary (two mlx4r ports) on hugepages.

    The primary runs @commands (one a second) in a thread; after @settle
    seconds, secondaries(eal) runs the secondary processes, eal being the
    EAL arguments that attach to the primary. Returns (SKIP, None) when the
    hugepages cannot be had, else (what secondaries returned, the
    primary's output); the primary must exit 0.
    """
    # --no-huge memory is private to a process: a secondary needs the
    # primary's memory shared, i.e. hugepages.
    huge = Hugepages(192)
    why = huge.reserve()
    try:
        if why is not None:
            return skip(why), None
        prefix = "mlx4r_it_" + env.case
        eal = ["--huge-dir", huge.mnt, "--no-pci", "--file-prefix=" + prefix]
        primary = ["stdbuf", "-oL", env.args.testpmd, "-l", "0-1",
                   "-m", "256"] + eal + [
            "-d", env.plugin_name, "--vdev", "net_mlx4r0,ports=2",
            "--", "-i", "--total-num-mbufs=16384", "--no-mlockall"]
        result = {}

        def run_primary():
            result["primary"] = env.run(primary, commands, delay=1.0)

        t = threading.Thread(target=run_primary)
        t.start()
        try:
            time.sleep(settle)
            got = secondaries(eal)
        finally:
            t.join()
        prc, pout = result["primary"]
        expect(prc == 0, "testpmd exits 0 (got %d)" % prc)
        return got, pout
    finally:
        huge.release()


def proc_info(env, eal, *args):
    """Run dpdk-proc-info attached to the primary; (rc, output)."""
    return env.run([env.args.proc_info] + eal +
                   ["-d", env.plugin_name, "--"] + list(args), timeout=60)


def case_proc_info_xstats(env):
    # The primary (testpmd) forwards; proc-info attaches, loads the driver
    # (whose secondary probe attaches to the primary's ports) and reads
    # statistics and xstats from shared memory.
    if shutil.which(env.args.proc_info) is None:
        return skip("no dpdk-proc-info (%s)" % env.args.proc_info)
    # one display per run: proc-info shows only the first one asked
    runs, pout = with_primary(env, [
        "set fwd io", "start", "show port stats all", "show port stats all",
        "show port stats all", "show port stats all", "stop",
        "show port xstats all"], 3.5,  # forwarding by then
        lambda eal: (proc_info(env, eal, "--xstats"),
                     proc_info(env, eal, "--stats")))
    if pout is None:
        return runs
    (rc, out), (rc2, out2) = runs
    expect(rc == 0 and rc2 == 0, "dpdk-proc-info exits 0 (got %d, %d)"
           % (rc, rc2))
    xs = {p: v for p, v in xstats_blocks(out)}
    expect(set(xs) == {0, 1}, "proc-info lists xstats of both ports")
    final = {p: v for p, v in xstats_blocks(pout)}
    for p in (0, 1):
        expect(xs[p]["rx_good_packets"] > 1000,
               "port %d: the running primary's counters "
               "(rx_good_packets %d)" % (p, xs[p]["rx_good_packets"]))
        expect(xs[p]["rx_good_packets"] <= final[p]["rx_good_packets"],
               "port %d: no more than the primary counted in the end" % p)
        for name in ("rx_steering_dropped", "rx_refused_bursts",
                     "tx_unregistered_memory_dropped", "reset_started",
                     "reset_generation", "reset_cancelled"):
            expect(name in xs[p], "driver xstat %s listed" % name)
        expect(xs[p]["reset_generation"] == 1,
               "port %d: reset_generation 1, as the primary's" % p)
    expect(re.search(r"RX-packets:\s+[1-9]", out2) is not None,
           "proc-info --stats shows received packets")


def case_proc_info_reset(env):
    # dpdk-proc-info --stats-reset and --xstats-reset clear the primary's
    # counters: the secondary asks the primary (multi-process channel).
    # The primary forwards, stops forwarding (its counters stand still),
    # then the secondary reads, clears, reads again; the primary's own
    # statistics show the clearing.
    if shutil.which(env.args.proc_info) is None:
        return skip("no dpdk-proc-info (%s)" % env.args.proc_info)
    runs, pout = with_primary(env, [
        "set fwd io", "start", "show port stats all", "stop"] +
        ["show port stats all"] * 12, 5.5,  # forwarding stopped by then
        lambda eal: [proc_info(env, eal, a) for a in (
            "--xstats", "--stats-reset", "--xstats-reset", "--xstats")])
    if pout is None:
        return runs
    rcs = [r[0] for r in runs]
    before, out3, after = runs[0][1], runs[2][1], runs[3][1]
    expect(rcs == [0, 0, 0, 0], "dpdk-proc-info exits 0 (got %s)" % rcs)
    expect("Error" not in out3 and
           "NIC extended statistics for port 0 cleared" in out3,
           "--xstats-reset accepted")
    xs0 = {p: v for p, v in xstats_blocks(before)}
    xs1 = {p: v for p, v in xstats_blocks(after)}
    expect(set(xs0) == {0, 1} and set(xs1) == {0, 1},
           "xstats of both ports, before and after")
    for p in (0, 1):
        expect(xs0[p]["rx_good_packets"] > 1000,
               "port %d: counted before (rx_good_packets %d)"
               % (p, xs0[p]["rx_good_packets"]))
        for name in ("rx_good_packets", "tx_good_packets",
                     "rx_q0_packets", "tx_q0_packets"):
            expect(xs1[p][name] == 0, "port %d: %s cleared (%d)"
                   % (p, name, xs1[p][name]))
        expect(xs1[p]["reset_generation"] == 1,
               "port %d: reset_generation read from the primary" % p)
        st = last_port_stats(pout, p)
        expect(st["rx"] == 0 and st["tx"] == 0,
               "port %d: the primary's counters were cleared (RX %d, "
               "TX %d)" % (p, st["rx"], st["tx"]))


def case_secondary_bursts(env):
    # A secondary process (mlx4r-test, with the driver built in) attaches
    # to a forwarding primary's ports of the emulated backend and calls
    # their bursts: a defined refusal (0, rte_errno ENOTSUP: the engine
    # runs in the primary's bursts), not a call through NULL pointers. On
    # the verbs backend secondaries forward (kface_mp.py).
    if env.args.mlx4r_test is None:
        return skip("no --mlx4r-test given")
    run, pout = with_primary(env, [
        "set fwd io", "start", "show port stats all", "show port stats all",
        "show port stats all", "stop"], 2.5,  # forwarding by then
        lambda eal: env.run([env.args.mlx4r_test, "--proc-type=secondary",
                             "-l", "0"] + eal +
                            ["--", "mlx4r_secondary_autotest"], timeout=60))
    if pout is None:
        return run
    rc, out = run
    expect(rc == 0, "the secondary exits 0 (got %d): %s" % (rc, out))
    expect_in(out, "mlx4r_secondary_autotest: Test OK")
    expect(out.count("bursts refused") == 2,
           "both ports attached and refused")


# -- coordinated soft reset (doc/guides/nics/mlx4r_reset.rst) --------------

def rx_after(out, marker):
    """RX-packets values printed after the first line containing marker."""
    i = out.find(marker)
    return field_values(out[i:], "RX-packets") if i >= 0 else []


def reset_passive(env, extra=""):
    # A catastrophic error scheduled by devarg 1.5 s after probe: testpmd
    # prints the reset event; the operator's sequence brings the port back
    # and forwarding resumes.
    rc, out = env.testpmd(["net_mlx4r0,recovery=passive,fault=fatal@1500" +
                           extra], [
        "show port info 0",
        "set fwd io",
        "start",
        "show port stats 0",
        "show port stats 0",
        "show port stats 0",
        "show port stats 0",
        "stop",
        "port stop 0",
        "port reset 0",
        "port start 0",
        "start",
        "show port stats 0",
        "show port stats 0",
        "stop",
    ], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    expect_in(out, "Device error handling mode: passive")
    expect_in(out, "Port 0: reset event")
    expect("Resetting ports" in out or "port reset 0" in out,
           "port reset accepted")
    expect("Fail to reset port" not in out, "port reset succeeded")
    expect("Fail to start port" not in out, "port start succeeded")
    after = rx_after(out, "Resetting ports")
    expect(len(after) > 0 and max(after) > 0,
           "forwarding again after the reset (RX-packets %s)" % after)


def case_testpmd_reset_passive(env):
    reset_passive(env)


def case_testpmd_reset_passive_thread(env):
    # the same with the emulated device's engine on its own thread: the
    # queues it serves are destroyed by the reset while it runs
    reset_passive(env, ",engine=thread")


def reset_proactive(env, extra=""):
    # The default mode recovers by itself: testpmd prints both events and
    # the port keeps forwarding without any command. The fault comes
    # 3 s after the device's creation: after "start" (1.5 s after the
    # first prompt; each command waits for testpmd's prompt), while the
    # port forwards.
    rc, out = env.testpmd(["net_mlx4r0,fault=fatal@3000" + extra], [
        "show port info 0",
        "set fwd io",
        "start",
        "show port stats 0",
        "show port stats 0",
        "show port stats 0",
        "show port stats 0",
        "show port stats 0",
        "show port stats 0",
        "show port stats 0",
        "show port stats 0",
        "show port xstats 0",
        "stop",
    ], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    expect_in(out, "Device error handling mode: proactive")
    expect_in(out, "Port 0: error recovering event")
    expect_in(out, "Port 0: error recovery successful event")
    expect(out.find("error recovering event") <
           out.find("error recovery successful event"), "events in order")
    after = rx_after(out, "error recovery successful event")
    expect(len(after) >= 2 and after[-1] > after[0],
           "traffic continues after the recovery (RX-packets %s)" % after)
    expect(re.search(r"reset_succeeded:\s+1\b", out) is not None,
           "xstat reset_succeeded: 1")


def case_testpmd_reset_proactive(env):
    reset_proactive(env)


def case_testpmd_reset_proactive_thread(env):
    # the same with engine=thread: the recovery rebuilds the queues that
    # the device's thread was serving
    reset_proactive(env, ",engine=thread")


def case_testpmd_start_during_reset(env):
    # testpmd's "start" typed while a proactive reset is on (issue 14):
    # the catastrophic error 5 s after probe, once testpmd started the
    # port, and a firmware reset of 3 s hold the reset in REINIT; "start"
    # is typed on the error recovering event. testpmd's start reads the
    # queues' states (rte_eth_rx_queue_info_get()) to enable its streams:
    # they must say what the application asked (started), not the
    # driver's own stop of the reset, or the streams stay disabled and
    # nothing is forwarded after the recovery.
    rc, out = env.testpmd(["net_mlx4r0,fault=fw_reset_slow/3000@4900:fatal@5000"], [
        "set fwd io",
        "!wait Port 0: error recovering event",
        "start",
        "!wait Port 0: error recovery successful event",
        "show port stats 0",
        "show port stats 0",
        "show port stats 0",
        "show port stats 0",
        "stop",
    ], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    recovering = out.find("Port 0: error recovering event")
    started = out.find("io packet forwarding - ports=")
    success = out.find("Port 0: error recovery successful event")
    expect(0 <= recovering < started < success,
           "start during the reset: recovering event at %d, start at %d, "
           "recovery successful at %d" % (recovering, started, success))
    expect("Not all ports were started" not in out, "the port stays started")
    after = rx_after(out, "error recovery successful event")
    expect(len(after) >= 2 and after[-1] > after[0],
           "forwarding after the recovery (RX-packets %s)" % after)


def case_testpmd_mcast_addr(env):
    # mcast_addr add/remove (upstream net_mlx4's Multicast MAC filter row):
    # accepted up to upstream's limit, 128 MAC slots of which the default
    # MAC takes one: the 128th group is refused with -EBUSY
    # (mlx4_set_mc_addr_list), testpmd then drops it from its list.
    groups = ["01:00:5E:00:%02X:%02X" % (i >> 8, i & 0xff) for i in range(128)]
    cmds = ["mcast_addr add 0 " + g for g in groups]
    cmds += ["mcast_addr remove 0 " + groups[0],
             "mcast_addr add 0 " + groups[127],
             "port stop 0", "port start 0", "show port info 0"]
    rc, out = env.testpmd(["net_mlx4r0"], cmds, delay=0.02)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    fails = re.findall(r"rte_eth_dev_set_mc_addr_list\(port=0, nb=(\d+)\) "
                       r"failed\. diag=(-?\d+)", out)
    expect(fails == [("128", "-16")],
           "only the 128th group refused, with -EBUSY (got %s)" % fails)
    expect("diag=-95" not in out, "no -ENOTSUP")
    expect_in(out, "Link status: up", "the port restarts with its list")


def case_testpmd_vlan_filter(env):
    # rx_vlan add/rm and vlan set filter (upstream net_mlx4's VLAN filter
    # row): refused by ethdev without the offload (-ENOSYS); with it and
    # VLAN 100 set, the generator's untagged frames no longer reach the
    # port; with no VLAN set they pass again (upstream's
    # mlx4_flow_internal: no VLAN item when no ID is set). testpmd turns
    # promiscuous mode on, which ignores the filter (as upstream): off.
    rc, out = env.testpmd(["net_mlx4r0"], [
        "set promisc 0 off",
        "set fwd rxonly",
        "rx_vlan add 100 0",
        "start",
        "show port stats 0",
        "vlan set filter on 0",
        "rx_vlan add 100 0",
        "show port info 0",
        "show port stats 0",
        "show port stats 0",
        "show port stats 0",
        "rx_vlan rm 100 0",
        "show port stats 0",
        "show port stats 0",
        "vlan set filter off 0",
        "stop",
    ], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    fails = re.findall(r"rte_eth_dev_vlan_filter\(port_pi=0, vlan_id=(\d+), "
                       r"on=(\d)\) failed diag=(-?\d+)", out)
    expect(fails == [("100", "1", "-38")],
           "only the add without the offload refused, -ENOSYS (got %s)"
           % fails)
    expect(re.search(r"filter on", out) is not None,
           "show port info: VLAN filter on")
    expect_in(out, "Firmware-version: 2.42.5000",
              "show port info: the device's firmware version")
    rx = [b["rx"] for b in port_stats(out) if b["port"] == 0]
    expect(len(rx) == 6, "six stats blocks (%s)" % rx)
    expect(rx[0] > 0, "traffic before the filter (%s)" % rx)
    expect(rx[3] == rx[2], "no untagged frame on VLAN 100 only (%s)" % rx)
    expect(rx[5] > rx[4], "traffic again with no VLAN set (%s)" % rx)


def case_testpmd_queue_stop_start(env):
    # port <p> rxq|txq <q> stop|start on a forwarding port (a row upstream
    # net_mlx4 claims without the ops): the generator's frames stop
    # arriving while Rx queue 0 is stopped and come back at its start;
    # testpmd reports no failure (it wants forwarding stopped around the
    # queue commands).
    rc, out = env.testpmd(["net_mlx4r0"], [
        "set fwd rxonly",
        "start",
        "show port stats 0",
        "stop",
        "port 0 rxq 0 stop",
        "show port 0 rxq 0 desc 0 status",
        "start",
        "show port stats 0",
        "show port stats 0",
        "stop",
        "port 0 rxq 0 start",
        "show port 0 rxq 0 desc 0 status",
        "show port 0 txq 0 desc 0 status",
        "show port 0 rxq 0 desc 8192 status",
        "port 0 txq 0 stop",
        "port 0 txq 0 start",
        "start",
        "show port stats 0",
        "show port stats 0",
        "stop",
    ], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    expect("fail" not in out.lower() and "Please stop" not in out,
           "no failure printed")
    rx = [b["rx"] for b in port_stats(out) if b["port"] == 0]
    expect(len(rx) == 5, "five stats blocks (%s)" % rx)
    expect(rx[0] > 0, "traffic before (%s)" % rx)
    expect(rx[2] == rx[1], "nothing while Rx queue 0 is stopped (%s)" % rx)
    expect(rx[4] > rx[3], "traffic again after its start (%s)" % rx)
    # descriptor status (rows upstream lacks): a stopped queue is
    # UNAVAILABLE; a started one answers; past the ring is refused
    st = re.findall(r"Desc status = (\w+)", out)
    expect(len(st) == 3 and st[0] == "UNAVAILABLE" and
           st[1] in ("AVAILABLE", "DONE") and st[2] in ("FULL", "DONE"),
           "descriptor status: stopped, then started (%s)" % st)
    expect_in(out, "Invalid input: queue id = 0, desc id = 8192",
              "an offset past the ring refused")


def case_testpmd_link_down_up(env):
    # set link-down/up (the netdev's IFF_UP, as upstream net_mlx4): the
    # link reads down and the generator's frames stop arriving; up again,
    # they come back.
    rc, out = env.testpmd(["net_mlx4r0"], [
        "set fwd rxonly",
        "start",
        "set link-down port 0",
        "show port info 0",
        "show port stats 0",
        "show port stats 0",
        "set link-up port 0",
        "show port info 0",
        "show port stats 0",
        "show port stats 0",
        "stop",
    ], delay=0.5)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    st = re.findall(r"Link status: (\w+)", out)
    expect(st[-2:] == ["down", "up"], "link down, then up (%s)" % st)
    rx = [b["rx"] for b in port_stats(out) if b["port"] == 0]
    expect(len(rx) == 4, "four stats blocks (%s)" % rx)
    expect(rx[1] == rx[0], "nothing with the link down (%s)" % rx)
    expect(rx[3] > rx[2], "traffic once up (%s)" % rx)


def case_testpmd_flow_ctrl(env):
    # show port flow_ctrl / set flow_ctrl (upstream net_mlx4's Flow control
    # row, the netdev's ethtool pause parameters): mlx4_en's default is
    # pause both ways; rx off and tx off are read back; autoneg on is
    # refused with -EINVAL (mlx4_en_set_pauseparam).
    rc, out = env.testpmd(["net_mlx4r0"], [
        "show port 0 flow_ctrl",
        "set flow_ctrl rx off 0",
        "show port 0 flow_ctrl",
        "set flow_ctrl tx off 0",
        "show port 0 flow_ctrl",
        "set flow_ctrl autoneg on 0",
        "show port 0 flow_ctrl",
    ])
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    modes = re.findall(r"Rx pause: (on|off)\s+Tx pause: (on|off)\s+"
                       r"Autoneg: (on|off)", out)
    expect(modes == [("on", "on", "off"), ("off", "on", "off"),
                     ("off", "off", "off"), ("off", "off", "off")],
           "pause both ways, rx off, tx off, unchanged (%s)" % modes)
    expect(re.findall(r"bad flow control parameter, return code = (-?\d+)",
                      out) == ["-22"], "autoneg refused with -EINVAL")


def case_telemetry_reset(env):
    # The stock dpdk-telemetry.py drives the reset machine of a running
    # testpmd: read the state, inject a fatal error, read it again.
    tel = shutil.which("dpdk-telemetry.py")
    if tel is None:
        return skip("no dpdk-telemetry.py (apt-get install dpdk)")
    result = {}

    def run_testpmd():
        result["pmd"] = env.testpmd(["net_mlx4r0"], [
            "set fwd io", "start", "show port stats 0", "show port stats 0",
            "show port stats 0", "show port stats 0", "show port stats 0",
            "show port stats 0", "show port stats 0", "show port stats 0",
            "stop"], delay=0.6)

    t = threading.Thread(target=run_testpmd)
    t.start()
    time.sleep(1.5)
    argv = ["python3", tel, "-f", "mlx4r_it_" + env.case]
    rc1, out1 = env.run(argv, ["/mlx4r/state,0", "/mlx4r/inject,0,fatal"],
                        timeout=30)
    time.sleep(1.0)
    rc2, out2 = env.run(argv, ["/mlx4r/state,0", "/mlx4r/history,0",
                               "/mlx4r/reset,0"], timeout=30)
    t.join()
    prc, pout = result["pmd"]
    expect(prc == 0, "testpmd exits 0 (got %d)" % prc)
    expect(rc1 == 0 and rc2 == 0, "dpdk-telemetry.py exits 0")
    expect(re.search(r'"state": "live".*"generation": 1', out1) is not None,
           "state live, generation 1 before")
    expect(re.search(r'"fault": "fatal", "result": 0', out1) is not None,
           "fatal injected")
    expect(re.search(r'"state": "live".*"generation": 2', out2) is not None,
           "live again, generation 2")
    expect(re.search(r'"trigger": "(fatal|health)".*"result": "live"',
                     out2) is not None, "history records the recovery")
    expect_in(pout, "Port 0: error recovering event")
    expect_in(pout, "Port 0: error recovery successful event")


def skip(reason):
    print("SKIP: " + reason)
    return SKIP


CASES = {name[5:]: fn for name, fn in globals().items()
         if name.startswith("case_")}


def main():
    return run_cases(CASES, options=(
        ("--plugin", dict(required=True)),
        ("--testpmd", dict(default="dpdk-testpmd")),
        ("--dpdk-test", dict(default="dpdk-test")),
        ("--proc-info", dict(default="dpdk-proc-info")),
        ("--mlx4r-test", dict(default=None)),
    ), make_env=Env, doc=__doc__)


if __name__ == "__main__":
    sys.exit(main())
