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
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

EAL_COMMON = ["--no-huge", "-m", "1024", "--no-pci", "--log-level=pmd.net.mlx4r*:info"]
SKIP = 77


class CaseFailed(Exception):
    pass


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

    def eal(self, extra_vdev, lcores="0-1"):
        return ["-l", lcores] + EAL_COMMON + [
            "--file-prefix=mlx4r_it_" + self.case,
            "-d", self.plugin_name,
        ] + [a for v in extra_vdev for a in ("--vdev", v)]

    def run(self, argv, stdin_lines=(), delay=0.0, timeout=120, env=None):
        """Run argv, feed stdin lines (with a pause before each), return
        (exit code, combined output)."""
        print("$ " + " ".join(argv), flush=True)
        p = subprocess.Popen(argv, cwd=self.workdir, env=env or self.env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        expired = threading.Event()

        def feed():
            try:
                for line in stdin_lines:
                    if delay:
                        time.sleep(delay)
                    p.stdin.write(line + "\n")
                    p.stdin.flush()
                p.stdin.close()
            except (BrokenPipeError, ValueError):
                pass  # the tool exited early; its output says why

        def kill():
            expired.set()
            p.kill()

        writer = threading.Thread(target=feed, daemon=True)
        watchdog = threading.Timer(timeout, kill)
        writer.start()
        watchdog.start()
        out = p.stdout.read()
        p.wait()
        watchdog.cancel()
        writer.join(1)
        print(out, flush=True)
        if expired.is_set():
            raise CaseFailed("timed out after %ds" % timeout)
        return p.returncode, out

    def testpmd(self, vdevs, commands, testpmd_args=(), delay=0.3):
        argv = ["stdbuf", "-oL", self.args.testpmd] + self.eal(vdevs) + [
            "--", "-i", "--total-num-mbufs=16384", "--no-mlockall",
        ] + list(testpmd_args)
        return self.run(argv, list(commands) + ["quit"], delay=delay)


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
    argv = [env.args.dpdk_test] + env.eal(["net_mlx4r0"])
    run_env = dict(env.env, DPDK_TEST="pmd_perf_autotest")
    rc, out = env.run(argv, env=run_env, timeout=150)
    expect(rc == 0, "dpdk-test exits 0 (got %d)" % rc)
    expect_in(out, "Test OK")
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
    expect_in(out, "failed to initialize net_mlx4r0", "the probe fails")
    expect_in(out, "No probed ethernet devices", "no port was created")


def skip(reason):
    print("SKIP: " + reason)
    return SKIP


CASES = {name[5:]: fn for name, fn in globals().items()
         if name.startswith("case_")}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--testpmd", default="dpdk-testpmd")
    ap.add_argument("--dpdk-test", default="dpdk-test")
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    env = Env(args, args.case)
    try:
        ret = CASES[args.case](env)
    except CaseFailed as e:
        print("FAIL: %s: %s" % (args.case, e))
        return 1
    if ret == SKIP:
        return SKIP
    print("PASS: " + args.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
