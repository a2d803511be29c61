#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""Integration cases: the emulated ConnectX-3 behind the kernel interface.

Each case runs stock programs (rdma-core's ibv_devices / ibv_devinfo,
dpdk-testpmd with mlx4r or Debian's own net_mlx4) under
devtools/with-emu-cx3.sh, which preloads libmlx4r_kface.so, and checks what
they print. Exit 0 (pass), 1 (fail) or 77 (skipped, with the reason: only
where the machine lacks a program).
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from casemain import CaseFailed, Skip, need_upstream_pmd, run_cases  # noqa: F401

# The options of the kface scripts (kface.py, kface_netdev.py,
# kface_oracle.py, kface_parity.py, flow.py): what Env needs.
OPTIONS = (
    ("--wrapper", dict(required=True)),
    ("--kface-lib", dict(required=True)),
    ("--plugin", dict(required=True)),
    ("--testpmd", dict(default="dpdk-testpmd")),
    ("--ctl", dict(required=True)),
)


def expect(cond, what):
    if not cond:
        raise CaseFailed(what)


def expect_in(text, needle, what=None):
    expect(needle in text, what or ("output has %r" % needle))


class Env:
    def __init__(self, args, case):
        self.args = args
        self.case = case
        self.workdir = tempfile.mkdtemp(prefix="mlx4r-kface-")
        self.env = dict(os.environ)
        self.env["MLX4R_KFACE_LIB"] = os.path.abspath(args.kface_lib)
        self.plugin_dir = os.path.dirname(os.path.abspath(args.plugin))
        self.plugin_name = os.path.basename(args.plugin)
        ld = self.env.get("LD_LIBRARY_PATH")
        self.env["LD_LIBRARY_PATH"] = self.plugin_dir + (":" + ld if ld else "")
        self.last_output = ""  # run()'s, also when it failed

    def close(self):
        """run_cases() calls it after the case."""
        shutil.rmtree(self.workdir, ignore_errors=True)

    def run(self, argv, stdin_lines=(), delay=0.0, timeout=60, wrapper=()):
        """Run argv under the wrapper (with its options), feeding stdin
        lines with a pause before each; return (exit code, output).

        The program runs in a session of its own. On the timeout its
        whole group gets SIGTERM (a harness inside may print what it has:
        kface_mp.py's inner driver does), then SIGKILL after
        TERM_GRACE s; what it printed until then is kept and printed
        (killing the wrapper alone left its children holding the pipe,
        and the read waited for them until meson's own timeout, which
        keeps no output)."""
        full = [self.args.wrapper] + list(wrapper) + ["--"] + list(argv)
        print("$ " + " ".join(full), flush=True)
        p = subprocess.Popen(full, cwd=self.workdir, env=self.env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
        expired = False
        chunks = []

        def feed():
            try:
                for line in stdin_lines:
                    if delay:
                        time.sleep(delay)
                    p.stdin.write(line + "\n")
                    p.stdin.flush()
                p.stdin.close()
            except (BrokenPipeError, ValueError):
                pass

        def read():
            for line in p.stdout:
                chunks.append(line)

        writer = threading.Thread(target=feed, daemon=True)
        reader = threading.Thread(target=read, daemon=True)
        writer.start()
        reader.start()
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            expired = True
            killpg_gently(p)
        # the group's last members may still hold the pipe a moment
        reader.join(10)
        out = "".join(chunks)
        if expired:
            out += "\n[killed after %d s: the output up to then]\n" % timeout
        print(out, flush=True)
        self.last_output = out
        expect(not expired, "%s finished within %d s" % (argv[0], timeout))
        return p.returncode, out


# seconds between the SIGTERM and the SIGKILL of a timed-out group
TERM_GRACE = 20


def killpg_gently(p):
    """SIGTERM to @p's process group (its session); SIGKILL to what is
    left of the group after TERM_GRACE s. The group is watched, not @p:
    the wrapper's shell dies at once on the SIGTERM, the program it runs
    may need the grace to print."""
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    end = time.monotonic() + TERM_GRACE
    while time.monotonic() < end:
        p.poll()  # reap the leader, or it stays in the group as a zombie
        try:
            os.killpg(p.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait()


# testpmd's prompt, which another thread's output may cut anywhere (the
# prompt and the logs share the output, and cmdline writes the prompt one
# character at a time): count it with the whole lines that may sit between
# its characters: log lines, the harness's own, and testpmd's event lines,
# which start with an empty line ("\nPort 0: reset event\n",
# eth_event_callback()) and may come from the driver's thread at any time.
_LOG_LINE = r"(?:\n|(?:mlx4r|net_mlx4|EAL|Port \d+[: ]|\[ctl |\[tel )[^\n]*\n)*"
PROMPT = re.compile(_LOG_LINE.join(re.escape(c) for c in "testpmd> "))


def prompts_in(buf):
    return len(PROMPT.findall(buf.decode(errors="replace")))


def interact(env, argv, steps, timeout=90, wrapper=(), direct=False):
    """Run an interactive testpmd under the wrapper (direct: without it):
    send each step's command when the prompt is back (so that nothing is
    typed ahead of a slow start), then wait its pause; return (exit code,
    output). A step's command may be a function instead, called with the
    output so far (it returns a line to note in the output, or raises
    CaseFailed)."""
    full = list(argv) if direct else \
        [env.args.wrapper] + list(wrapper) + ["--"] + list(argv)
    print("$ " + " ".join(full), flush=True)
    # a session of its own: on a timeout the whole group goes, the
    # program inside the wrapper's unshare too (a testpmd left behind
    # holds its --file-prefix and fails the next run of the case)
    p = subprocess.Popen(full, cwd=env.workdir, env=env.env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    buf = bytearray()
    cond = threading.Condition()

    def reader():
        while True:
            b = p.stdout.read1(4096)
            with cond:
                if not b:
                    buf.extend(b"\n<EOF>")
                    cond.notify_all()
                    return
                buf.extend(b)
                cond.notify_all()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    deadline = time.monotonic() + timeout
    prompts = 0
    expired = False
    ctl_err = None
    for cmd, pause in steps:
        with cond:
            while prompts_in(buf) <= prompts and b"<EOF>" not in buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    expired = True
                    break
                cond.wait(left)
            if expired or b"<EOF>" in buf:
                break
            prompts = prompts_in(buf)
            text = buf.decode(errors="replace")
        if callable(cmd):
            try:
                note = cmd(text)
            except CaseFailed as e:
                ctl_err = str(e)
                break
            with cond:
                buf.extend(("\n[%s]\n" % note).encode())
            prompts -= 1  # no new prompt: type the next command at once
            if pause:
                time.sleep(pause)
            continue
        if cmd.startswith("!ctl "):
            # the emulated device's control socket, named by the wrapper
            m = re.search(r"control (\S+ctl\.sock)", text)
            if m is None:
                ctl_err = "the wrapper names no control socket"
                break
            r = subprocess.run([sys.executable, env.args.ctl, "--socket", m.group(1)]
                               + cmd.split()[1:], capture_output=True, text=True)
            with cond:
                buf.extend(("\n[ctl %s: %s%s]\n[ctl at %.3f s]\n" % (
                    cmd[5:], r.stdout.strip(), r.stderr.strip(),
                    time.monotonic())).encode())
            if r.returncode != 0:
                ctl_err = "mlx4r-emu-ctl %s: %s%s" % (cmd[5:], r.stdout, r.stderr)
                break
            # the prompt is not printed again: type the next command at once
            prompts -= 1
            if pause:
                time.sleep(pause)
            continue
        if cmd.startswith("!tel "):
            # the stock telemetry client on testpmd's socket (its
            # --file-prefix): one command, its JSON answer into the output
            prefix = next((a.split("=", 1)[1] for a in argv
                           if a.startswith("--file-prefix=")), "rte")
            tel = shutil.which("dpdk-telemetry.py")
            if tel is None:
                ctl_err = "no dpdk-telemetry.py (Debian package dpdk)"
                break
            try:
                r = subprocess.run([sys.executable, tel, "-f", prefix],
                                   input=cmd[5:] + "\n", capture_output=True,
                                   text=True, timeout=30)
            except subprocess.TimeoutExpired:
                ctl_err = "dpdk-telemetry.py %s: no answer in 30 s" % cmd[5:]
                break
            answer = " ".join(l.strip() for l in r.stdout.splitlines()
                              if l.strip().startswith("{"))
            with cond:
                buf.extend(("\n[tel %s: %s]\n" % (cmd[5:], answer)).encode())
            if r.returncode != 0 or not answer:
                ctl_err = "dpdk-telemetry.py %s: %s%s" % (cmd[5:], r.stdout, r.stderr)
                break
            prompts -= 1
            if pause:
                time.sleep(pause)
            continue
        try:
            p.stdin.write((cmd + "\n").encode())
            p.stdin.flush()
        except BrokenPipeError:
            break
        if pause:
            time.sleep(pause)
    try:
        p.stdin.close()
    except BrokenPipeError:
        pass
    try:
        p.wait(max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        expired = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
    t.join(5)
    out = buf.decode(errors="replace")
    print(out, flush=True)
    expect(ctl_err is None, ctl_err)
    expect(not expired, "%s finished within %d s" % (argv[0], timeout))
    return p.returncode, out


def need(prog):
    path = shutil.which(prog)
    if path is None:
        raise Skip("%s is not installed (Debian ibverbs-utils; devtools/setup.sh installs it)" % prog)
    return path


def port_blocks(out):
    return re.split(r"\n\s+port:\s+\d+\n", out)[1:]


# A stand-in for testpmd's console (kface_harness_prompt): cmdline writes
# the prompt one character at a time (lib/cmdline/cmdline.c
# cmdline_write_char(): write() of 1 byte), and testpmd's event callback,
# on the thread that raises the event, prints "\nPort N: <event> event\n"
# (app/test-pmd/testpmd.c eth_event_callback(): printf, fflush) whenever
# the driver raises it: here, in the middle of the prompt after "reset",
# as mlx4r's RECOVERY_SUCCESS of a passive reset can (it follows the last
# port's acknowledgement by a few milliseconds).
FAKE_CONSOLE = r"""
import os, sys
def w(b):
    os.write(1, b.encode())
def prompt(cut=None, at=4):
    for i, c in enumerate("testpmd> "):
        if i == at and cut:
            w(cut)
        w(c)
prompt()
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "quit":
        w("\nBye...\n")
        break
    w(cmd + "\nDone\n")
    if cmd == "lsc_start":
        # after a port start on DPDK 24.11: the event after the prompt's
        # first character
        prompt("\nPort 1: link state change event\n", at=1)
        continue
    prompt("\nPort 0: error recovery successful event\n" if cmd == "reset" else
           "mlx4r_run_reset(): net_mlx4r0: live again\n\nPort 1: link state change event\n"
           if cmd == "lsc" else None)
"""


def case_kface_harness_prompt(env):
    """The harness itself: a prompt cut by an event line of testpmd (which
    starts with an empty line) is still a prompt. Without it the harness
    waited for a prompt that had come, until its deadline (90 s), then
    closed testpmd's input, and testpmd said "Bye..." (the exit hang seen
    once in kface_verbs_fatal_passive)."""
    steps = [("reset", 0), ("lsc", 0), ("next", 0), ("quit", 0)]
    rc, out = interact(env, [sys.executable, "-c", FAKE_CONSOLE], steps,
                       timeout=15, direct=True)
    expect(rc == 0, "the console exits 0")
    expect_in(out, "next\nDone", "the step after the cut prompts was sent")
    expect(prompts_in(out.encode()) == 4, "four prompts counted, got %d"
           % prompts_in(out.encode()))


def case_kface_ibv_devices(env):
    need("ibv_devices")
    rc, out = env.run(["ibv_devices"])
    expect(rc == 0, "ibv_devices exits 0")
    expect(re.search(r"^\s+mlx4_0\s+0002c90300000001\s*$", out, re.M) is not None,
           "ibv_devices lists mlx4_0 with its node GUID")
    expect_in(out, "RDMA device mlx4_0", "the wrapper names the RDMA device")
    expect(re.search(r"at PCI 0000:82:00\.0", out) is not None,
           "the wrapper prints the PCI address")


def case_kface_ibv_devinfo(env):
    need("ibv_devinfo")
    for ports in (2, 1):
        rc, out = env.run(["ibv_devinfo", "-v"], wrapper=["--ports", str(ports)])
        expect(rc == 0, "ibv_devinfo -v exits 0")
        expect_in(out, "hca_id:\tmlx4_0")
        expect(re.search(r"vendor_id:\s+0x02c9\b", out) is not None, "vendor 0x02c9")
        expect(re.search(r"vendor_part_id:\s+4099\b", out) is not None,
               "part 4099 (ConnectX-3)")
        expect(re.search(r"fw_ver:\s+2\.42\.5000\b", out) is not None,
               "firmware version from QUERY_DEVICE's fw_ver")
        expect(re.search(r"phys_port_cnt:\s+%d\b" % ports, out) is not None,
               "%d ports" % ports)
        blocks = port_blocks(out)
        expect(len(blocks) == ports, "%d port blocks, got %d" % (ports, len(blocks)))
        for b in blocks:
            expect(re.search(r"link_layer:\s+Ethernet", b) is not None,
                   "link layer Ethernet")
            # the netdev starts down (mlx4_en), so the port is down
            expect(re.search(r"state:\s+PORT_DOWN", b) is not None,
                   "port down while its netdev is down")
            expect(re.search(r"GID\[\s*0\]:\s+fe80:0000:0000:0000:0202:c9ff:fe00:000", b)
                   is not None, "GID 0 from the port's MAC (sysfs fallback)")
        # the extended query (write ex, mlx4 driver data)
        expect(re.search(r"max_rwq_indirection_table_size:\s+256\b", out) is not None,
               "RSS caps from the extended QUERY_DEVICE")
        expect(re.search(r"rx_hash_fields_mask:\s+0xFF\b", out) is not None,
               "mlx4 driver data: Toeplitz over addresses and ports")
        # tso_caps as mlx4_ib_query_device (max_gso_sz, RAW_PACKET)
        expect(re.search(r"max_tso:\s+65536\b", out) is not None and
               "SUPPORT_RAW_PACKET" in out, "mlx4 driver data: TSO caps")
    # a program without DPDK (no rte_eal_cleanup()): the device thread
    # stops in the kernel face's atexit() handler, before its destructor
    env.env["MLX4R_KFACE_EXIT_REPORT"] = "1"
    rc, out = env.run(["ibv_devinfo"])
    expect(rc == 0, "ibv_devinfo exits 0")
    exit_report(out)


def case_kface_uverbs_abi(env):
    """The uverbs ABI checks of the kernel face with raw system calls
    (kface_abi.py: headers, sizes, handles, mmap offsets, the async
    file), errno by errno as Linux 6.1 answers them."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kface_abi.py")
    rc, out = env.run([sys.executable, script])
    expect(rc == 0 and "PASS" in out, "every ABI check passes")


def case_kface_wrapper_errors(env):
    for opts, msg in ((["--ports", "3"], "--ports 3: 1 or 2"),
                      (["--wire", "bogus"], "--wire bogus:"),
                      (["--ports", "1", "--wire", "xconnect"], "--wire xconnect needs --ports 2"),
                      (["--pci", "zz"], "--pci zz: not a PCI address")):
        rc, out = env.run(["true"], wrapper=opts)
        expect(rc == 2, "%s: exit 2, got %d" % (" ".join(opts), rc))
        expect_in(out, msg)
    # the command's status is the wrapper's, and the tree is gone after
    rc, out = env.run(["sh", "-c", "echo dir=$MLX4R_KFACE_DIR; exit 7"])
    expect(rc == 7, "the command's exit status (7), got %d" % rc)
    m = re.search(r"dir=(\S+)", out)
    expect(m is not None and not os.path.exists(m.group(1)),
           "the private directory is removed")


def case_kface_wrapper_timeout(env):
    """A program under the wrapper that outlives its timeout, with a
    child holding the output pipe (as a harness's testpmds do): the run
    ends within the timeout and the grace, not when the child would; the
    program's SIGTERM handler prints within the grace; what it printed
    is kept; the child is gone."""
    # the child writes its pid, then holds stdout for a minute; the
    # program says when SIGTERM comes, then exits
    prog = ('sleep 60 & echo child=$!; echo before; '
            'trap "echo term seen; exit 3" TERM; wait')
    t0 = time.monotonic()
    try:
        env.run(["sh", "-c", prog], timeout=3)
        failed = None
    except CaseFailed as e:
        failed = str(e)
    took = time.monotonic() - t0
    expect(failed is not None and "finished within 3 s" in failed,
           "the run fails on its timeout, got %r" % failed)
    expect(took < 3 + TERM_GRACE, "the run ends %.1f s after its start: "
           "not waiting for the pipe's last holder (60 s)" % took)
    out = env.last_output
    for what in ("before", "term seen", "[killed after 3 s"):
        expect_in(out, what, "the output kept has %r: %r" % (what, out))
    m = re.search(r"child=(\d+)", out)
    expect(m is not None, "the child's pid printed")
    try:
        os.kill(int(m.group(1)), 0)
        alive = True
    except ProcessLookupError:
        alive = False
    expect(not alive, "the child holding the pipe was killed with its group")


EAL_BASE = ["-l", "0-1", "--no-huge", "-m", "1024"]
EAL = EAL_BASE + ["--no-pci", "--log-level=pmd.net.mlx4r*:info"]
TESTPMD = ["--", "-i", "--total-num-mbufs=16384", "--no-mlockall"]
# Upstream net_mlx4's log, and the PCI bus's probe line ("Probe PCI driver:
# net_mlx4 (15b3:1003) device: ..."), which the cases check. DPDK 22.11
# logs that line as EAL, at INFO (drivers/bus/pci/pci_common.c
# rte_pci_probe_one_driver: RTE_LOG(INFO, EAL)); 24.11 under the bus's own
# log type, bus.pci, whose default level is NOTICE (the same function:
# PCI_LOG(INFO), and RTE_LOG_REGISTER_DEFAULT(pci_bus_logtype, NOTICE)).
UPSTREAM_LOG = ["--log-level=pmd.net.mlx4:info", "--log-level=bus.pci:info"]


def testpmd_mlx4r(env, case, devargs="", extra=()):
    """stock testpmd with mlx4r's verbs backend on the emulated mlx4_0"""
    return ([env.args.testpmd] + EAL + ["--file-prefix=kface_" + case,
            "-d", env.plugin_name,
            "--vdev", "net_mlx4r0,backend=verbs,ibdev=mlx4_0,ports=2" + devargs]
            + TESTPMD + list(extra))


def fwd_stats(out):
    """Per-port RX/TX-packets of testpmd's 'stop' (forward statistics)."""
    ports = {}
    for m in re.finditer(r"Forward statistics for port (\d+)\s+-+\s*\n"
                         r"\s*RX-packets: (\d+)\s+RX-dropped: \d+\s+RX-total: \d+\s*\n"
                         r"\s*TX-packets: (\d+)", out):
        ports[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
    return ports


def pps(out):
    """Rx-pps of the last 'show port stats all', per port, in order."""
    vals = [int(v) for v in re.findall(r"Rx-pps:\s+(\d+)", out)]
    return vals[-2:]


def expect_forwarded(out, nports=2):
    st = fwd_stats(out)
    expect(len(st) == nports, "forward statistics of %d ports, got %r" % (nports, st))
    for p, (rx, tx) in sorted(st.items()):
        expect(rx > 0 and tx > 0, "port %d received and sent (RX %d, TX %d)" % (p, rx, tx))
    rates = pps(out)
    expect(len(rates) == nports and all(r > 0 for r in rates),
           "Rx-pps > 0 on every port, got %r" % rates)


def case_kface_verbs_forward(env):
    """mlx4r backend=verbs in stock testpmd forwards on both ports of the
    emulated card through rdma-core's libibverbs and libmlx4."""
    env.env["MLX4R_KFACE_EXIT_REPORT"] = "1"
    steps = [("start", 1.0), ("show port stats all", 1.0),
             ("show port stats all", 0), ("show port info 0", 0),
             ("stop", 0), ("quit", 0)]
    rc, out = interact(env, testpmd_mlx4r(env, "verbs_forward"), steps)
    expect(rc == 0, "testpmd exits 0")
    expect_in(out, "net_mlx4r0: 2 port(s) on the verbs backend")
    expect(re.search(r"Link status: up", out) is not None,
           "link up (the port's netdev up, with carrier)")
    expect_forwarded(out)
    # no queue went to error on the way (a repair says so)
    expect(" in error " not in out, "no queue in error")
    exit_report(out)


BDF = "0000:82:00.0"


def testpmd_upstream(env, case, extra=()):
    """stock testpmd with Debian's own net_mlx4 (auto-loaded from the PMD
    directory) on the emulated PCI function; Skip without it"""
    need_upstream_pmd(env.args)
    return ([env.args.testpmd] + EAL_BASE + ["--file-prefix=kface_" + case,
            "-a", BDF] + UPSTREAM_LOG + TESTPMD + list(extra))


def phases(out):
    """The forward statistics of each 'stop', in order: a list of
    {port: (rx, tx)} and of {(port, queue): rx} per phase."""
    res = []
    for block in out.split("Telling cores to stop...")[1:]:
        block = block.split("Done.")[0]
        ports = {}
        for m in re.finditer(r"Forward statistics for port (\d+)\s+-+\s*\n"
                             r"\s*RX-packets: (\d+)\s+RX-dropped: \d+\s+RX-total: \d+\s*\n"
                             r"\s*TX-packets: (\d+)", block):
            ports[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
        queues = {}
        for m in re.finditer(r"RX Port= *(\d+)/Queue= *(\d+) -> TX Port= *\d+/Queue= *\d+ -+\s*\n"
                             r"\s*RX-packets: (\d+)", block):
            queues[(int(m.group(1)), int(m.group(2)))] = int(m.group(3))
        res.append((ports, queues))
    return res


def case_kface_upstream_forward(env):
    """Debian's stock net_mlx4 on the emulated ConnectX-3: io and mac
    forwarding over 4-queue RSS, promiscuous off and on, an MTU change
    (which reaches the kernel's netdev) and a port stop/start."""
    need_upstream_pmd(env.args)
    run = 1.5
    steps = [("start", run), ("stop", 0),
             ("set promisc all off", 0), ("start", run), ("stop", 0),
             ("set promisc all on", 0),
             ("port stop all", 0), ("port config mtu 0 1600", 0),
             ("port config mtu 1 1600", 0), ("port start all", 0),
             ("show port info 0", 0), ("start", run), ("stop", 0),
             ("set fwd mac", 0), ("start", run), ("stop", 0), ("quit", 0)]
    argv = ["bash", "-c", '"$@"; rc=$?; ip -o link show cx3p1; ip -o link show cx3p2; exit $rc',
            "bash"] + testpmd_upstream(env, "upstream_forward", ["--rxq=4", "--txq=4"])
    rc, out = interact(env, argv, steps, wrapper=["--gen-flows", "64"])
    expect(rc == 0, "testpmd exits 0")
    expect_in(out, "Probe PCI driver: net_mlx4 (15b3:1003) device: " + BDF)
    expect_in(out, 'PCI information matches, using device "mlx4_0"')
    ph = phases(out)
    expect(len(ph) == 4, "four forwarding phases, got %d" % len(ph))
    names = ["io, promiscuous on", "io, promiscuous off", "io after MTU 1600 and port stop/start",
             "mac"]
    for name, (ports, queues) in zip(names, ph):
        expect(len(ports) == 2, "%s: both ports in the statistics" % name)
        for p, (rx, tx) in sorted(ports.items()):
            expect(rx > 0 and tx > 0, "%s: port %d RX %d TX %d > 0" % (name, p, rx, tx))
    # RSS: 64 flows spread over the 4 queues of each port
    ports, queues = ph[0]
    for p in (0, 1):
        for q in range(4):
            expect(queues.get((p, q), 0) > 0, "RSS: port %d queue %d received (%r)" % (p, q, queues))
    expect(re.search(r"MTU: 1600", out) is not None, "port info says MTU 1600")
    for n in ("cx3p1", "cx3p2"):
        expect(re.search(r"\d+: %s: .* mtu 1600 " % n, out) is not None,
               "the kernel's %s has MTU 1600 (SIOCSIFMTU reached it)" % n)
        expect(re.search(r"\d+: %s: <[^>]*\bUP\b" % n, out) is not None,
               "upstream forced %s up" % n)


def case_kface_verbs_fatal(env):
    """A catastrophic error through the kernel face (DEVICE_FATAL, the
    device unregistered, commands EIO, then back under its name): mlx4r's
    verbs backend recovers by itself (proactive) and forwards again."""
    env.env["MLX4R_KFACE_EXIT_REPORT"] = "1"
    steps = [("start", 1.0), ("!ctl fatal 100", 0), ("show port info 0", 3.0),
             ("stop", 0), ("start", 1.0), ("show port stats all", 1.0),
             ("show port stats all", 0), ("stop", 0), ("!ctl status", 0),
             ("quit", 0)]
    rc, out = interact(env, testpmd_mlx4r(env, "verbs_fatal"), steps)
    expect(rc == 0, "testpmd exits 0")
    for p in (0, 1):
        expect_in(out, "Port %d: error recovering event" % p)
        expect_in(out, "Port %d: error recovery successful event" % p)
    expect(re.search(r"live again, generation 2", out) is not None,
           "mlx4r: live again (generation 2: one reset)")
    expect(re.search(r"\[ctl status: incarnation 2 catas none", out) is not None,
           "the device came back under its name (incarnation 2)")
    ph = phases(out)
    expect(len(ph) == 2, "two forwarding phases, got %d" % len(ph))
    for p, (rx, tx) in sorted(ph[1][0].items()):
        expect(rx > 0 and tx > 0,
               "after the recovery, port %d forwards (RX %d, TX %d)" % (p, rx, tx))
    rates = pps(out)
    expect(len(rates) == 2 and all(r > 0 for r in rates),
           "Rx-pps > 0 on both ports after the recovery: %r" % rates)
    # 200 ms away: a slow machine may reach REINIT after it is back
    absence_lines(out, polled=False)
    exit_report(out)


def absence_lines(out, polled):
    """The verbs backend's words for a device away during a recovery
    (mlx4r_verbs.c verbs_absent()): never the first probe's errors ("is
    mlx4_ib loaded?", "cannot open mlx4_0: No such device"), and once per
    absence ("mlx4_0 is absent since it was open here"), however many times mlx4r polls for it (@p polled: the case
    holds the device away long enough for a poll to find it absent; else
    at most once)."""
    wrong = out.count("is mlx4_ib loaded?") + out.count("cannot open mlx4_0: No such device")
    said = len(re.findall(r"mlx4r verbs: mlx4_0 is absent since it was open here", out))
    print("verbs backend, while the device was away: %d first-probe lines, "
          "%d absence lines" % (wrong, said))
    expect(wrong == 0, "no first-probe error while the device is away "
           "(%d lines say 'is mlx4_ib loaded?' or 'cannot open')" % wrong)
    expect(said == 1 if polled else said <= 1,
           "the absence said once, got %d lines" % said)


def case_kface_verbs_fatal_late(env):
    """The device reappears late (1.5 s more absent than the reload):
    mlx4r keeps polling for it within reinit_timeout_ms, without spending
    an attempt, and recovers in one."""
    env.env["MLX4R_KFACE_EXIT_REPORT"] = "1"
    steps = [("start", 1.0), ("!ctl reappear 1500", 0), ("!ctl fatal 100", 0),
             ("show port info 0", 3.5), ("stop", 0), ("start", 1.0),
             ("show port stats all", 1.0), ("show port stats all", 0),
             ("stop", 0), ("quit", 0)]
    rc, out = interact(env, testpmd_mlx4r(env, "verbs_fatal_late"), steps)
    expect(rc == 0, "testpmd exits 0")
    m = re.search(r"live again, generation 2, in (\d+) us \((\d+) attempt", out)
    expect(m is not None, "mlx4r: live again in generation 2")
    expect(int(m.group(1)) >= 1500000 and m.group(2) == "1",
           "after the late device (>= 1.5 s), in one attempt: %s us, %s" %
           (m.group(1), m.group(2)))
    for p in (0, 1):
        expect_in(out, "Port %d: error recovery successful event" % p)
    ph = phases(out)
    expect(len(ph) == 2 and all(rx > 0 and tx > 0 for rx, tx in ph[1][0].values()),
           "both ports forward again: %r" % (ph[1:],))
    # 1.5 s away: mlx4r polled for it (about 20 times)
    absence_lines(out, polled=True)
    exit_report(out)


def case_kface_verbs_fatal_passive(env):
    """The same error in passive mode: INTR_RESET on both ports, the
    application's stop / reset / start, and forwarding again. The reset
    waits for both acknowledgements (reset_deadline_ms 10 s: with the
    default 1 s, testpmd's port reset came after the deadline in 161 of
    166 runs, and the device was reset without them)."""
    env.env["MLX4R_KFACE_EXIT_REPORT"] = "1"
    steps = [("start", 1.0), ("!ctl fatal 100", 1.0), ("stop", 0),
             ("port stop all", 0), ("port reset all", 1.5),
             # main's passive reset does not wait for the recovery: a
             # start during it may be refused (-EBUSY); start again
             ("port start all", 1.5), ("port start all", 0),
             ("start", 1.0), ("show port stats all", 1.0),
             ("show port stats all", 0), ("stop", 0), ("quit", 0)]
    rc, out = interact(env, testpmd_mlx4r(env, "verbs_fatal_passive",
                                          ",recovery=passive,reset_deadline_ms=10000"),
                       steps)
    expect(rc == 0, "testpmd exits 0")
    for p in (0, 1):
        expect_in(out, "Port %d: reset event" % p)
        expect(re.search(r"port %d \(physical port %d\) acknowledged the reset"
                         % (p, p + 1), out) is not None,
               "port %d acknowledged the reset (testpmd's port reset)" % p)
    expect("did not acknowledge" not in out,
           "the device was reset once both ports acknowledged, not at the deadline")
    expect(re.search(r"live again, generation 2", out) is not None,
           "mlx4r: live again in the device's next generation")
    ph = phases(out)
    expect(len(ph) == 2, "two forwarding phases, got %d" % len(ph))
    for p, (rx, tx) in sorted(ph[1][0].items()):
        expect(rx > 0 and tx > 0,
               "after reset and start, port %d forwards (RX %d, TX %d)" % (p, rx, tx))
    rates = pps(out)
    expect(len(rates) == 2 and all(r > 0 for r in rates),
           "Rx-pps > 0 on both ports after the reset: %r" % rates)
    exit_report(out)


def mempool_in_use(out):
    """Mbufs in use per 'dump_mempool' (rte_mempool_dump() of every pool),
    in order: populated_size - common_pool_count - total_cache_count, the
    mbufs neither in the pool nor in an lcore's cache."""
    res = []
    for block in out.split("dump_mempool")[1:]:
        block = block.split("testpmd>")[0]
        vals = [re.search(r"\b%s=(\d+)" % n, block) for n in
                ("populated_size", "common_pool_count", "total_cache_count")]
        if all(v is not None for v in vals):
            pop, common, cached = (int(v.group(1)) for v in vals)
            res.append(pop - common - cached)
    return res


def exit_report(out):
    """The kernel face's report at exit (MLX4R_KFACE_EXIT_REPORT=1)."""
    m = re.search(r"mlx4r kface: at exit: (\d+) files, (\d+) async files, "
                  r"(\d+) objects[^;]*; device: (\d+) contexts, (\d+) objects, "
                  r"(\d+) MRs, (\d+) bytes pinned, (\d+) objects destroyed at close, "
                  r"incarnation \d+; device thread: ([a-z ]+)", out)
    expect(m is not None, "the kernel face reported at exit (the process "
           "went through exit(): no crash, no kill)")
    # stopped and joined before the report (the kernel face's destructor):
    # by rte_eal_cleanup() or at exit() (mlx4r_kface_dev.c kf_dev_stop())
    expect(m.group(9) == "stopped",
           "the device thread stopped before the exit report: %r" % m.group(9))
    names = ("files", "async files", "objects", "contexts", "model objects",
             "MRs", "bytes pinned")
    left = {n: int(v) for n, v in zip(names, m.groups()[:7])}
    expect(all(v == 0 for v in left.values()),
           "nothing left open on the device at exit: %r" % left)
    return int(m.group(8))


def events_of(out, port):
    """testpmd's event lines of @p port, in order."""
    return re.findall(r"Port %d: ([a-z ]+?) event" % port, out)


def xstat(out, name):
    return [int(v) for v in re.findall(r"\b%s:\s+(\d+)" % name, out)]


def case_kface_verbs_operator_reset(env):
    """Operator resets through the kernel face. testpmd's own sequence
    (port stop all, port reset 0 and 1, port start all) resets each
    port's software state: its queues are released and set up again, the
    device is not reset (mlx4r_reset.rst, the errno table's note 1), no
    reset event. An operator's reset of the device (telemetry
    /mlx4r/reset, rte_pmd_mlx4r_reset()) while forwarding, proactive: the
    verbs context is closed and opened again through the node (a second
    GET_CONTEXT, every object made anew), ERR_RECOVERING then
    RECOVERY_SUCCESS on both ports, generation 2, forwarding goes on; the
    rings' mbufs come back to the pool at the reset (counted) and every
    mbuf is back after the stop."""
    if shutil.which("dpdk-telemetry.py") is None:
        raise Skip("dpdk-telemetry.py is not installed (Debian package dpdk)")
    env.env["MLX4R_KFACE_EXIT_REPORT"] = "1"
    steps = [("start", 1.0), ("stop", 0), ("port stop all", 0),
             ("dump_mempool", 0),
             ("port reset 0", 0), ("port reset 1", 0), ("port start all", 0),
             ("!tel /mlx4r/state,0", 0), ("start", 1.0), ("show port stats all", 1.0),
             ("show port stats all", 0),
             ("!tel /mlx4r/reset,0", 1.0),
             ("!tel /mlx4r/state,1", 0),
             ("show port stats all", 1.0), ("show port stats all", 0),
             ("show port xstats 0", 0), ("stop", 0), ("port stop all", 0),
             ("dump_mempool", 0), ("!ctl status", 0), ("quit", 0)]
    # stdout line-buffered: testpmd's output in the order it happened,
    # between the driver's log lines and the telemetry answers
    rc, out = interact(env, ["stdbuf", "-oL"] +
                       testpmd_mlx4r(env, "verbs_operator_reset"), steps)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    # testpmd's port reset: accepted, and no event of the device
    expect("Fail to reset port" not in out and "Can not reset" not in out,
           "testpmd's port reset accepted")
    expect("Fail to start port" not in out, "port start after port reset")
    expect(re.search(r'\[tel /mlx4r/state,0: .*"state": "live", "generation": 1, '
                     r'"mode": "proactive", "resets_started": 0', out) is not None,
           "after testpmd's port reset: live, generation 1, no device reset")
    before_tel = out.split("[tel /mlx4r/reset,0")[0]
    ph = phases(out)
    expect(len(ph) == 2, "two forwarding phases, got %d" % len(ph))
    rates = pps(before_tel)
    expect(len(rates) == 2 and all(r > 0 for r in rates),
           "Rx-pps > 0 on both ports after testpmd's port reset: %r" % rates)
    for name, (ports, _) in zip(("first", "after port reset, through the "
                                 "device reset"), ph):
        for p in (0, 1):
            rx, tx = ports.get(p, (0, 0))
            expect(rx > 0 and tx > 0, "%s: port %d forwards (RX %d, TX %d)"
                   % (name, p, rx, tx))
    # the operator's reset of the device, while forwarding
    expect(re.search(r"\[tel /mlx4r/reset,0: \{.*\}\]", out) is not None,
           "telemetry accepted the reset")
    for p in (0, 1):
        ev = events_of(out, p)
        # nothing for testpmd's port reset, one round for the device's
        expect(ev == ["error recovering", "error recovery successful"],
               "port %d: ERR_RECOVERING then RECOVERY_SUCCESS, once (got %r)"
               % (p, ev))
    expect(re.search(r"reset 1 started \(request\), proactive mode", out)
           is not None, "mlx4r: reset 1 started by a request (the operator's)")
    expect(re.search(r"live again, generation 2", out) is not None,
           "mlx4r: live again, generation 2")
    expect(re.search(r'\[tel /mlx4r/state,1: .*"state": "live".*"generation": 2',
                     out) is not None, "port 1 (same HCA): live, generation 2")
    # a device reset through the kernel face: the same device, no
    # catastrophic error (incarnation 1), the old context closed
    expect(re.search(r"\[ctl status: incarnation 1 catas none contexts 1\]", out)
           is not None, "the emulated device: incarnation 1, one context")
    rates = pps(out)
    expect(len(rates) == 2 and all(r > 0 for r in rates),
           "Rx-pps > 0 on both ports after the reset: %r" % rates)
    expect(xstat(out, "reset_succeeded") == [1], "xstat reset_succeeded 1")
    expect(xstat(out, "reset_generation") == [2], "xstat reset_generation 2")
    rec = xstat(out, "reset_mbufs_reclaimed")
    expect(len(rec) == 1 and rec[0] > 0,
           "the reset took the rings' mbufs back (reset_mbufs_reclaimed %r)" % rec)
    used = mempool_in_use(out)
    expect(len(used) == 2 and used == [0, 0],
           "every mbuf back in the pool after each stop (in use: %r)" % used)
    exit_report(out)


def case_kface_verbs_operator_reset_passive(env):
    """The operator's reset of the device in passive mode, while
    forwarding (telemetry /mlx4r/reset): INTR_RESET on both ports; the
    application's stop, port reset (the acknowledgements: the device is
    reset once both gave theirs, reset_deadline_ms 10 s) and start; then
    RECOVERY_SUCCESS on both ports, generation 2, forwarding again, every
    mbuf back in the pool after the stop, nothing open at exit."""
    if shutil.which("dpdk-telemetry.py") is None:
        raise Skip("dpdk-telemetry.py is not installed (Debian package dpdk)")
    env.env["MLX4R_KFACE_EXIT_REPORT"] = "1"
    steps = [("start", 1.0), ("!tel /mlx4r/reset,0", 1.0), ("stop", 0),
             ("port stop all", 0), ("port reset all", 0.5),
             # the start may come before the device is back (-EAGAIN
             # until RECOVERY_SUCCESS, mlx4r_reset.rst): start again
             ("port start all", 0.5), ("port start all", 0),
             ("!tel /mlx4r/state,0", 0), ("start", 1.0),
             ("show port stats all", 1.0), ("show port stats all", 0),
             ("stop", 0), ("port stop all", 0), ("dump_mempool", 0),
             ("!ctl status", 0), ("quit", 0)]
    rc, out = interact(env, ["stdbuf", "-oL"] + testpmd_mlx4r(
        env, "verbs_operator_reset_passive",
        ",recovery=passive,reset_deadline_ms=10000"), steps)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    expect(re.search(r"reset 1 started \(request\), passive mode", out)
           is not None, "mlx4r: reset 1 started by a request, passive")
    for p in (0, 1):
        ev = [e for e in events_of(out, p) if e != "link state change"]
        expect(ev == ["reset", "error recovery successful"],
               "port %d: INTR_RESET then RECOVERY_SUCCESS (got %r)" % (p, ev))
        expect(re.search(r"port %d \(physical port %d\) acknowledged the reset"
                         % (p, p + 1), out) is not None,
               "port %d acknowledged (testpmd's port reset)" % p)
    expect("did not acknowledge" not in out, "no port missed the deadline")
    expect(re.search(r'\[tel /mlx4r/state,0: .*"state": "live", "generation": 2',
                     out) is not None, "live again, generation 2")
    expect(re.search(r"\[ctl status: incarnation 1 catas none contexts 1\]", out)
           is not None, "the emulated device: incarnation 1, one context")
    ph = phases(out)
    expect(len(ph) == 2, "two forwarding phases, got %d" % len(ph))
    for name, (ports, _) in zip(("before", "after the reset"), ph):
        for p in (0, 1):
            rx, tx = ports.get(p, (0, 0))
            expect(rx > 0 and tx > 0, "%s: port %d forwards (RX %d, TX %d)"
                   % (name, p, rx, tx))
    rates = pps(out)
    expect(len(rates) == 2 and all(r > 0 for r in rates),
           "Rx-pps > 0 on both ports after the reset: %r" % rates)
    used = mempool_in_use(out)
    expect(used == [0], "every mbuf back in the pool after the stop "
           "(in use: %r)" % used)
    exit_report(out)


def case_kface_verbs_close_during_recovery(env):
    """Close during a recovery through the kernel face: a catastrophic
    error while forwarding, the device held away (20 s more absent than
    the reload; reinit_timeout_ms and reset_deadline_ms 60 s, so that the
    reset is still on however slow the machine), and testpmd closes both ports and quits while the reset is
    still on:
     - proactive: mlx4r closed the old context (RESETTING) and waits for
       the device to come back (REINIT);
     - passive: mlx4r waits for the application's acknowledgements
       (DRAINING) with the old context still open,
       disassociated by the kernel: the close destroys (or forgets) its
       objects and closes it.
    Each port was announced (ERR_RECOVERING / INTR_RESET) and ends with its
    close (DESTROY), no outcome (the event grammar of mlx4r_reset.rst);
    testpmd exits 0 well before the device is back, every mbuf is back in
    its pool, and nothing is left open on the device (the kernel face's
    report at exit)."""
    env.env["MLX4R_KFACE_EXIT_REPORT"] = "1"
    for mode, devargs, announce in (
            ("proactive", ",reinit_timeout_ms=60000", "error recovering"),
            ("passive", ",recovery=passive,reset_deadline_ms=60000", "reset")):
        steps = [("start", 1.0), ("!ctl reappear 20000", 0), ("!ctl fatal 100", 0),
                 ("show port info 0", 1.0), ("!ctl status", 0), ("stop", 0),
                 ("port stop all", 0), ("dump_mempool", 0), ("port close all", 0),
                 ("!ctl status", 0), ("quit", 0)]
        t0 = time.monotonic()
        rc, out = interact(env, ["stdbuf", "-oL"] + testpmd_mlx4r(
            env, "verbs_close_recovery_" + mode, devargs), steps)
        took = time.monotonic() - t0
        what = mode + ": "
        expect(rc == 0, what + "testpmd exits 0 (got %d)" % rc)
        st = re.findall(r"\[ctl status: incarnation (\d+) catas (\w+) contexts (\d+)\]",
                        out)
        expect(len(st) == 2, what + "two status answers, got %r" % st)
        expect(st[0][:2] == ("1", "gone") and st[1][:2] == ("1", "gone"),
               what + "the device was away, before and after the close: %r" % st)
        # proactive: 20 s away, polled for in REINIT; passive: no poll
        absence_lines(out, polled=mode == "proactive")
        if mode == "proactive":
            expect(re.search(r"the device is absent: waiting up to \d+ ms", out)
                   is not None, what + "mlx4r was waiting for the device (REINIT)")
            expect(st[0][2] == "0", what + "the old context closed in RESETTING")
        else:
            expect("acknowledged the reset" not in out,
                   what + "no port acknowledged: the reset waited in DRAINING")
            expect(st[0][2] == "1",
                   what + "the disassociated context still open before the close")
        expect(st[1][2] == "0", what + "no context left after the close")
        for p in (0, 1):
            ev = events_of(out, p)
            expect(ev == [announce],
                   what + "port %d: %s, then no outcome (got %r)" % (p, announce, ev))
            expect_in(out, "Port %d is closed" % p)
        expect("live again" not in out and "recovery failed" not in out,
               what + "the reset ended with the close, neither live nor failed")
        used = mempool_in_use(out)
        expect(used == [0], what + "every mbuf back in the pool after the stop "
               "(in use: %r)" % used)
        leaked = exit_report(out)
        print("%s: testpmd ran %.1f s; %d objects the close left to the "
              "kernel's cleanup" % (mode, took, leaked))


def case_kface_device_thread_idle(env):
    """The device thread costs no core once no queue exists: it waits
    20 ms at a time for one (mlx4r_kface_dev.c kf_dev_thread()). With the
    ports closed, its idle waits over a second of wall-clock time stay
    below one per 5 ms (a slower machine makes fewer, never more); a wait
    timed on the wrong clock returns at once, by the hundred thousand."""
    steps = [("start", 0.5), ("stop", 0), ("port stop all", 0),
             ("port close all", 0.3), ("!ctl thread", 1.0), ("!ctl thread", 0),
             ("quit", 0)]
    rc, out = interact(env, testpmd_mlx4r(env, "device_thread_idle"), steps)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    m = re.findall(r"\[ctl thread: queues (\d+) idle_waits (\d+)\]", out)
    expect(len(m) == 2, "two answers of the device thread, got %r" % m)
    expect(m[0][0] == "0" and m[1][0] == "0", "no queue left after the close")
    t = [float(v) for v in re.findall(r"\[ctl at ([\d.]+) s\]", out)]
    expect(len(t) == 2, "the times of both questions: %r" % t)
    waits = int(m[1][1]) - int(m[0][1])
    rate = waits / max(t[1] - t[0], 0.001)
    print("device thread: %d idle waits in %.2f s (%.0f/s)" % (waits, t[1] - t[0], rate))
    expect(waits >= 1 and rate <= 200,
           "the idle device thread waits 20 ms at a time: %d waits in %.2f s"
           % (waits, t[1] - t[0]))


def case_kface_verbs_qp_error(env):
    """A send QP in error through the kernel face (IBV_EVENT_QP_FATAL read
    by libibverbs from the async file): mlx4r's verbs backend repairs the
    queue without a device reset, then a port stop and start destroys the
    QP whose event it read. libibverbs' destroy waits until that event is
    acknowledged (cmd_qp.c ibv_cmd_destroy_qp: events_completed against the
    events_reported the kernel face now answers); the backend
    acknowledges in ack_async_event, after the driver kept the handle, so
    the stop returns and forwarding goes on."""
    env.env["MLX4R_KFACE_EXIT_REPORT"] = "1"
    steps = [("start", 1.0), ("!ctl qp_error 1", 1.0), ("stop", 0),
             ("show port xstats 0", 0), ("port stop all", 0),
             ("port start all", 1.0), ("start", 1.0),
             ("show port stats all", 1.0), ("show port stats all", 0),
             ("stop", 0), ("quit", 0)]
    rc, out = interact(env, testpmd_mlx4r(env, "verbs_qp_error"), steps,
                       timeout=60)
    expect(rc == 0, "testpmd exits 0 (no destroy left waiting)")
    expect(re.search(r"\[ctl qp_error 1: ok qp 0x[0-9a-f]+\]", out) is not None,
           "the device put a send QP of port 1 in error")
    expect_in(out, "QP error event 1", "the driver heard of it (QP_FATAL)")
    expect(re.search(r"port 0 Tx queue 0: QP 0x[0-9a-f]+ in error .*: repaired",
                     out) is not None, "port 0's Tx queue repaired")
    # once: when the burst's flush CQEs were repaired before the event
    # was read, the event names a QP the device (QUERY_QP) holds in RTS,
    # and the driver ignores it (mlx4r_repair.c mlx4r_txq_event_stale())
    expect(xstat(out, "tx_queue_repairs")[:1] == [1],
           "tx_queue_repairs 1: %r" % xstat(out, "tx_queue_repairs"))
    expect(re.search(r"reset \d+ started", out) is None, "no device reset")
    ph = phases(out)
    expect(len(ph) == 2, "two forwarding phases, got %d" % len(ph))
    for p, (rx, tx) in sorted(ph[1][0].items()):
        expect(rx > 0 and tx > 0,
               "after the repair and the restart, port %d forwards "
               "(RX %d, TX %d)" % (p, rx, tx))
    exit_report(out)


def case_kface_upstream_fatal(env):
    """Upstream net_mlx4 on a catastrophic error through the kernel face:
    its removal event on each port, nothing crashes, testpmd exits."""
    need_upstream_pmd(env.args)
    steps = [("start", 1.0), ("!ctl fatal 100", 2.0), ("!ctl status", 0),
             ("stop", 0), ("quit", 0)]
    rc, out = interact(env, testpmd_upstream(env, "upstream_fatal"), steps)
    expect(rc == 0, "testpmd exits 0 (no crash)")
    for p in (0, 1):
        expect_in(out, "Port %d: device removal event" % p)
    expect(re.search(r"\[ctl status: incarnation 2 catas none", out) is not None,
           "the device came back under its name (incarnation 2)")


MODEL_LINE = re.compile(r"^mlx4r emu: \w+\(\): ", re.M)


def case_kface_exit_with_device_open(env):
    """A DPDK program that returns from main() with the device open
    (app/test/integration/kface_exit_open.c): a catastrophic error under
    way, which the model goes on with and logs, then rte_eal_cleanup(),
    which closes the EAL's log stream (lib/eal/linux/eal.c
    rte_eal_cleanup() -> rte_eal_log_cleanup(): fclose) and unmaps its
    memory. The kernel face's device thread stopped and was joined before
    it (its rte_eal_cleanup() interposer, mlx4r_kface_dev.c
    kf_dev_stop()): gone from /proc/self/task when the call returns, and
    no line of the model's after it; the program exits 0."""
    if env.args.exit_open == "none":
        raise Skip("mlx4r-kface-exit-open is not built (libibverbs-dev missing, "
                   "or a sanitizer build: app/test/integration/meson.build)")
    rc, out = env.run([env.args.exit_open] + EAL_BASE +
                      ["--no-pci", "--file-prefix=kface_exit_open"])
    expect(rc == 0, "the program exits 0 (got %d)" % rc)
    expect(re.search(r"opened mlx4_0; device thread: running; event thread: running",
                     out) is not None,
           "the device thread runs once the device is open, the model's "
           "event thread once a completion channel exists")
    expect_in(out, "a child forked with the device open exited: status 0")
    expect_in(out, "[ctl fatal 200: ok]")
    before, sep, after = out.partition("rte_eal_cleanup() returned 0; device thread: ")
    expect(sep != "", "rte_eal_cleanup() returned 0")
    expect(after.startswith("gone; event thread: gone"),
           "the device and event threads are gone when rte_eal_cleanup() "
           "returns: %r" % after[:40])
    # the model logs here (the control command's line), so that its
    # silence after the cleanup says something
    expect(re.search(r"mlx4r emu: \w+\(\): mlx4_0: catastrophic error injected",
                     before) is not None, "the model logged the injection")
    late = MODEL_LINE.findall(after)
    expect(not late, "no line of the model after rte_eal_cleanup(): %d (%r)" %
           (len(late), [l for l in after.splitlines() if MODEL_LINE.match(l)]))
    expect_in(after, "returning from main() with mlx4_0 open")


CASES = {name[5:]: fn for name, fn in globals().items()
         if name.startswith("case_")}


def main():
    return run_cases(CASES, options=OPTIONS + (
        ("--exit-open", dict(default="none",
                             help="mlx4r-kface-exit-open, or none (not built)")),
    ), make_env=Env, doc=__doc__)


if __name__ == "__main__":
    sys.exit(main())
