#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""Integration cases: rte_flow through stock testpmd (issue 14).

- testpmd_flow_queue: mlx4r (emulated device) with the generator sending
  UDP to port 4789: issue 14's acceptance rule
  "eth / ipv4 / udp dst is 4789 -> queue 1" takes every frame to queue 1,
  and still does after a catastrophic error and the proactive recovery
  (injected through the telemetry socket); destroyed, RSS spreads again.
- testpmd_flow_isolate: testpmd --flow-isolate-all (isolated mode before
  the port is configured): nothing received until the rule is created.
- kface_flow_verbs: the same on mlx4r's verbs backend, through rdma-core
  and the emulated ConnectX-3 behind the kernel interface of mlx4_ib
  (devtools/with-emu-cx3.sh), the catastrophic error by its control socket;
  port 1 has a drop rule for the same frames: it receives nothing, before
  and after the recovery, and receives again once the rule is destroyed.
- kface_flow_side_by_side: the same testpmd flow commands on Debian's own
  net_mlx4 and on mlx4r's verbs backend, on the same emulated card: what
  testpmd prints for each, side by side, must agree but for the documented
  deliberate difference, and both steer the matching flow to queue 1.

Exit 0 (pass), 1 (fail) or 77 (skipped, with the reason).
"""

import json
import os
import re
import socket
import sys
import time

import kface
from kface import CaseFailed, expect, expect_in, interact, phases

ACCEPT = ("flow create 0 ingress pattern eth / ipv4 / udp dst is 4789 / end "
          "actions queue index 1 / end")
# the emulated card's port 1 MAC (mlx4r_emu_obj.c: 00:02:c9 + port)
PORT0_MAC = "00:02:C9:00:00:01"


def queue_rx(phase, port=0):
    """{queue: RX-packets} of one forwarding phase (kface.phases())."""
    ports, queues = phase
    return {q: n for (p, q), n in queues.items() if p == port}


def expect_steered(phase, what, port=0):
    q = queue_rx(phase, port)
    expect(q.get(1, 0) > 0 and q.get(0, 0) == 0,
           "%s: every frame on queue 1, none on queue 0 (%r)" % (what, q))


def expect_spread(phase, what, port=0):
    q = queue_rx(phase, port)
    expect(q.get(0, 0) > 0 and q.get(1, 0) > 0,
           "%s: RSS over queues 0 and 1 (%r)" % (what, q))


def telemetry(prefix, cmds):
    """Send each command to the DPDK telemetry socket of the process of
    file prefix @p prefix; return the decoded answers."""
    # EAL's runtime directory (eal_get_runtime_dir): /var/run as root,
    # else $XDG_RUNTIME_DIR or /tmp
    base = "/var/run" if os.geteuid() == 0 else os.environ.get(
        "XDG_RUNTIME_DIR", "/tmp")
    path = "%s/dpdk/%s/dpdk_telemetry.v2" % (base, prefix)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect(path)
        json.loads(s.recv(65536).decode())
        res = []
        for c in cmds:
            s.send(c.encode())
            res.append(json.loads(s.recv(65536).decode()))
        return res
    finally:
        s.close()


def fatal_and_wait(prefix):
    """A step of interact(): inject a catastrophic error into the emulated
    device of port 0 and wait (up to 20 s) until the reset machine is live
    again in a new generation."""
    def step(text):
        st = telemetry(prefix, ["/mlx4r/state,0", "/mlx4r/inject,0,fatal"])
        gen = st[0]["/mlx4r/state"]["generation"]
        for _ in range(200):
            time.sleep(0.1)
            cur = telemetry(prefix, ["/mlx4r/state,0"])[0]["/mlx4r/state"]
            if cur["state"] == "live" and cur["generation"] > gen:
                return "telemetry: live again, generation %d" % cur["generation"]
        raise CaseFailed("no recovery within 20 s (%r)" % cur)
    return step


def case_testpmd_flow_queue(env):
    prefix = "flow_queue"
    argv = ([env.args.testpmd] + kface.EAL + ["--file-prefix=" + prefix,
            "-d", env.plugin_name,
            "--vdev", "net_mlx4r0,gen_flows=16,gen_dport=4789"] +
            kface.TESTPMD + ["--rxq=2", "--txq=2"])
    run = 1.0
    steps = [("set fwd rxonly", 0), ("start", run), ("stop", 0),
             (ACCEPT.replace("create", "validate"), 0), (ACCEPT, 0),
             ("start", run), ("stop", 0),
             (fatal_and_wait(prefix), 0),
             ("start", run), ("stop", 0),
             ("flow list 0", 0), ("flow destroy 0 rule 0", 0),
             ("start", run), ("stop", 0), ("quit", 0)]
    rc, out = interact(env, argv, steps, direct=True)
    expect(rc == 0, "testpmd exits 0")
    expect_in(out, "Flow rule validated")
    expect_in(out, "Flow rule #0 created")
    ph = phases(out)
    expect(len(ph) == 4, "four forwarding phases, got %d" % len(ph))
    expect_spread(ph[0], "without the rule")
    expect_steered(ph[1], "with the rule")
    expect_in(out, "Port 0: error recovering event")
    expect_in(out, "Port 0: error recovery successful event")
    expect(out.find("error recovery successful event") <
           out.find("Telling cores to stop", out.find("telemetry: live again")),
           "the third phase after the recovery")
    expect_steered(ph[2], "after the proactive reset")
    expect(re.search(r"\n0\s+0\s+0\s+i\S*\s+ETH IPV4 UDP => QUEUE", out)
           is not None, "flow list: rule 0 kept")
    expect_in(out, "Flow rule #0 destroyed")
    expect_spread(ph[3], "rule destroyed")


def case_testpmd_flow_isolate(env):
    """testpmd --flow-isolate-all: isolated mode before the port is
    configured; nothing is received until a rule asks for it, then only
    what the rule takes."""
    argv = ([env.args.testpmd] + kface.EAL + ["--file-prefix=flow_isolate",
            "-d", env.plugin_name,
            "--vdev", "net_mlx4r0,gen_flows=16,gen_dport=4789"] +
            kface.TESTPMD + ["--rxq=2", "--txq=2", "--flow-isolate-all"])
    run = 1.0
    steps = [("set fwd rxonly", 0), ("start", run), ("stop", 0),
             (ACCEPT, 0), ("start", run), ("stop", 0), ("quit", 0)]
    rc, out = interact(env, argv, steps, direct=True)
    expect(rc == 0, "testpmd exits 0")
    ph = phases(out)
    expect(len(ph) == 2, "two forwarding phases, got %d" % len(ph))
    rx = [p[0].get(0, (0, 0))[0] for p in ph]
    expect(rx[0] == 0, "isolated, no rule: nothing received (%r)" % rx)
    expect_steered(ph[1], "isolated, the rule")


def testpmd_verbs(env, case, extra=()):
    return kface.testpmd_mlx4r(env, case, extra=["--rxq=2", "--txq=2"] +
                               list(extra))


def line_buffered(argv):
    """testpmd's stdout line by line, so that each answer follows its
    command in the output (its errors go to stderr unbuffered)."""
    return ["stdbuf", "-oL"] + list(argv)


def case_kface_flow_verbs(env):
    run = 1.0
    drop1 = ("flow create 1 ingress pattern eth / ipv4 / udp dst is 4789 / "
             "end actions drop / end")
    steps = [("set fwd rxonly", 0), ("start", run), ("stop", 0),
             (ACCEPT, 0), (drop1, 0), ("start", run), ("stop", 0),
             # the next command at once, 3 s later: no prompt is awaited
             # while the reset's events are printed (they may cut it)
             ("!ctl fatal 100", 3.0),
             ("start", run), ("stop", 0), ("flow list 0", 0),
             ("flow destroy 1 rule 0", 0), ("start", run), ("stop", 0),
             ("quit", 0)]
    rc, out = interact(env, testpmd_verbs(env, "flow_verbs"), steps,
                       wrapper=["--gen-flows", "16", "--gen-dport", "4789"])
    expect(rc == 0, "testpmd exits 0")
    expect_in(out, "net_mlx4r0: 2 port(s) on the verbs backend")
    expect_in(out, "Flow rule #0 created")
    ph = phases(out)
    expect(len(ph) == 4, "four forwarding phases, got %d" % len(ph))
    expect_spread(ph[0], "without the rule")
    expect_steered(ph[1], "with the rule")
    rx1 = [p[0].get(1, (0, 0))[0] for p in ph]
    expect(rx1[0] > 0 and rx1[1] == 0,
           "port 1: receives, then its drop rule takes every frame (%r)" % rx1)
    expect_in(out, "Port 0: error recovery successful event")
    expect_steered(ph[2], "after the catastrophic error and the recovery")
    expect_in(out, "Port 1: error recovery successful event")
    expect(rx1[2] == 0, "port 1: still dropped after the recovery (%r)" % rx1)
    expect(rx1[3] > 0, "port 1: receives again once its rule is destroyed (%r)"
           % rx1)


# The side-by-side commands, and what may differ (deliberately, documented
# in doc/guides/nics/mlx4r.rst, rte_flow section).
SIDE_BY_SIDE = [
    ACCEPT.replace("create", "validate"),
    ACCEPT,
    "flow flush 0",
    "flow create 0 ingress pattern eth dst is %s / ipv4 / udp dst is 4789 / end "
    "actions queue index 1 / end" % PORT0_MAC,
    "flow create 0 ingress pattern eth dst is %s / ipv4 / udp dst is 4789 / end "
    "actions queue index 5 / end" % PORT0_MAC,
    "flow create 0 priority 1 ingress pattern eth dst is %s / ipv4 / "
    "udp dst is 4789 / end actions queue index 1 / end" % PORT0_MAC,
    "flow create 0 priority 4096 ingress pattern eth dst is %s / end "
    "actions drop / end" % PORT0_MAC,
    "flow create 0 priority 4095 ingress pattern eth dst is %s / end "
    "actions drop / end" % PORT0_MAC,
    "flow create 0 ingress pattern eth src is 02:00:00:00:00:01 / end "
    "actions drop / end",
    "flow create 0 ingress pattern eth dst is %s / ipv4 dst spec 10.1.0.0 "
    "dst mask 255.255.0.0 / end actions drop / end" % PORT0_MAC,
    "flow create 0 ingress pattern eth dst is %s / vlan / end "
    "actions drop / end" % PORT0_MAC,
    "flow create 0 ingress pattern eth dst is %s / vlan tci is 5 / end "
    "actions drop / end" % PORT0_MAC,
    "flow create 0 ingress pattern eth dst is %s / ipv6 / end "
    "actions drop / end" % PORT0_MAC,
    "flow create 0 ingress pattern eth dst is %s / ipv4 / end "
    "actions rss queues 0 1 2 end / end" % PORT0_MAC,
    "flow create 0 ingress pattern eth dst is %s / ipv4 / end "
    "actions queue index 0 / drop / end" % PORT0_MAC,
    "flow create 0 ingress pattern eth dst is %s / ipv4 / end "
    "actions mark id 1 / end" % PORT0_MAC,
    "flow create 0 group 1 ingress pattern eth / end actions drop / end",
    "flow create 0 egress pattern eth / end actions drop / end",
    "flow list 0",
    "flow isolate 0 1",
    "flow create 0 priority 4095 ingress pattern eth dst is %s / ipv4 src is "
    "10.9.9.9 / end actions drop / end" % PORT0_MAC,
    "flow isolate 0 0",
    "flow destroy 0 rule 1",
    "flow isolate 0 0",
    "flow list 0",
]
DELIBERATE = {
    # upstream validates the rule, then refuses it at create (the second
    # pass of mlx4_flow_prepare); mlx4r puts the port's MAC in it
    ACCEPT: "eth without destination before L3/L4: the port's own MAC",
}


def answers(out, cmds):
    """What testpmd printed for each command (prompt to prompt), in order,
    with the addresses of the error causes left out."""
    res = []
    out = out.replace("\r\n", "\n")
    pos = 0
    for c in cmds:
        i = out.find("testpmd> " + c + "\n", pos)
        if i < 0:
            res.append("(command not found in the output)")
            continue
        pos = i + len("testpmd> " + c + "\n")
        body = out[pos:]
        body = body.split("testpmd> ")[0]
        body = re.sub(r"cause: 0x[0-9a-f]+, ", "", body)
        body = re.sub(r"port_flow_complain\(\): ", "", body)
        # log lines are not answers: mlx4r's, upstream net_mlx4's (DPDK
        # 22.11 "net_mlx4: ", 24.11 "MLX4: "), EAL's
        res.append("\n".join(l.rstrip() for l in body.strip().splitlines()
                              if not l.startswith(("mlx4r", "net_mlx4",
                                                   "MLX4: ", "EAL"))))
    return res


def case_kface_flow_side_by_side(env):
    kface.need_upstream_pmd(env.args)
    run = 1.0
    steps = ([("show port info 0", 0), ("set fwd rxonly", 0)] +
             [(c, 0) for c in SIDE_BY_SIDE] +
             [("start", run), ("stop", 0), ("flow flush 0", 0),
              ("flow list 0", 0), ("quit", 0)])
    wrapper = ["--gen-flows", "16", "--gen-dport", "4789"]
    rc_u, out_u = interact(env, line_buffered(kface.testpmd_upstream(
        env, "flow_upstream", ["--rxq=2", "--txq=2"])), steps, wrapper=wrapper)
    rc_m, out_m = interact(env, line_buffered(testpmd_verbs(env, "flow_mlx4r")),
                           steps, wrapper=wrapper)
    expect(rc_u == 0 and rc_m == 0, "both testpmd exit 0")
    for out in (out_u, out_m):
        expect_in(out, "MAC address: " + PORT0_MAC)
    a_u, a_m = answers(out_u, SIDE_BY_SIDE), answers(out_m, SIDE_BY_SIDE)
    same = differ = 0
    print("\n===== side by side: upstream net_mlx4 | mlx4r backend=verbs =====")
    bad = []
    for c, u, m in zip(SIDE_BY_SIDE, a_u, a_m):
        tag = "same" if u == m else (
            "deliberate" if c in DELIBERATE else "DIFFERENT")
        print("--- %s [%s]\n  upstream: %s\n  mlx4r:    %s" %
              (c, tag, u.replace("\n", "\n            "),
               m.replace("\n", "\n            ")))
        if tag == "same":
            same += 1
        else:
            differ += 1
            if tag == "DIFFERENT":
                bad.append(c)
    print("===== %d the same, %d different (%d deliberate) =====" %
          (same, differ, differ - len(bad)))
    expect(not bad, "every difference is a deliberate one (%r)" % bad)
    k = SIDE_BY_SIDE.index(ACCEPT)
    expect("Flow rule #0 created" in a_m[k] and
           "indiscriminate matching" in a_u[k],
           "the deliberate difference is the one documented")
    for name, out in (("upstream", out_u), ("mlx4r", out_m)):
        ph = phases(out)
        expect(len(ph) == 1, "%s: one forwarding phase" % name)
        expect_steered(ph[0], "%s: eth dst is the port's MAC / ipv4 / udp "
                       "dst is 4789 -> queue 1" % name)


CASES = {name[5:]: fn for name, fn in globals().items()
         if name.startswith("case_")}


def main():
    return kface.run_cases(CASES, options=kface.OPTIONS, make_env=kface.Env,
                           doc=__doc__)


if __name__ == "__main__":
    sys.exit(main())
