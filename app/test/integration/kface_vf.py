#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""Side by side on an SR-IOV virtual function: upstream net_mlx4 and mlx4r.

The kernel face presents a ConnectX-3 VF (devtools/with-emu-cx3.sh --vf:
PCI device 15b3:1004, vendor_part_id 4100), whose steering rules the PF's
resource tracker checks (doc/guides/nics/mlx4r_hardware.rst, "SR-IOV
virtual function"). ONE testpmd script runs on two targets:
 - upstream: Debian's own net_mlx4 on the VF's PCI function;
 - verbs: mlx4r backend=verbs on the same VF;
and the case compares what testpmd prints: forwarding (io, mac), promiscuous
on and off, all-multicast (refused on a VF: the rule carries no Ethernet
header), a unicast MAC that is not the VF's (refused), MTU, stop/start,
a start with the netdev down (the VF's MAC then is not registered: its
rule is refused), and, a deliberate difference, what follows a refused MAC
(upstream keeps it, so its next rule syncs fail; mlx4r drops it).

Exit 0 (pass), 1 (fail) or 77 (skipped: Debian's net_mlx4 missing).
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kface  # noqa: E402  (the kernel-face harness: interact(), Env)
import kface_parity  # noqa: E402  (its prompt, QUIET_KERNEL, sections())
from kface import expect  # noqa: E402

RUN = 1.5
# (command, pause): the same on both targets
SCRIPT = [
    ("show port info 0", 0),
    ("start", RUN), ("stop", 0),
    ("set promisc all off", 0),
    ("start", RUN), ("stop", 0),
    ("set allmulti all on", 0),
    ("show port info 0", 0),
    ("set promisc all on", 0),
    ("show port info 0", 0),
    ("port stop all", 0), ("port config mtu 0 1600", 0),
    ("port start all", 0), ("show port info 0", 0),
    ("set fwd mac", 0), ("start", RUN), ("stop", 0),
    # what the wire saw: the device's port counters (mlx4r-emu-ctl.py)
    ("!ctl stats 1", 0), ("!ctl stats 2", 0),
    ("port stop 0", 0), ("set link-down port 0", 0), ("port start 0", 0),
    ("set link-up port 0", 0), ("port start 0", 0),
    ("mac_addr add 0 02:00:00:00:00:05", 0),
    # after the refused MAC: upstream keeps it (deliberate difference)
    ("mac_addr add 0 01:00:5e:00:00:05", 0),
    ("port stop 0", 0), ("port start 0", 0),
    ("quit", 0),
]


def run(env, target):
    if target == "upstream":
        argv = kface.testpmd_upstream(env, "vf_up")
    else:
        argv = kface.testpmd_mlx4r(env, "vf_verbs")
    argv = kface_parity.QUIET_KERNEL + ["stdbuf", "-oL"] + argv
    rc, out = kface.interact(env, argv, SCRIPT, timeout=120,
                             wrapper=["--vf", "--gen-flows", "16"])
    expect(rc == 0, "%s: testpmd exits 0" % target)
    expect("ConnectX-3 VF (15b3:1004)" in out, "%s: on the VF" % target)
    # (command, testpmd's answer to it); the control socket's answers
    # ("[ctl stats P: ...]") fall in the answer of the command before them
    return list(zip([c for c, _ in SCRIPT if not c.startswith("!")],
                    kface_parity.sections(out)))


def facts(sec):
    """What the rows compare, from the answers of SCRIPT's commands."""
    f = {}
    info = [a for c, a in sec if c == "show port info 0"]
    expect(len(info) == 4, "four port infos, got %d" % len(info))
    f["promisc at start"] = re.search(r"Promiscuous mode: (\w+)", info[0]).group(1)
    f["allmulti after 'set allmulti all on'"] = \
        re.search(r"Allmulticast mode: (\w+)", info[1]).group(1)
    f["promisc after 'set promisc all on'"] = \
        re.search(r"Promiscuous mode: (\w+)", info[2]).group(1)
    f["MTU after config"] = re.search(r"MTU: (\d+)", info[3]).group(1)
    phases = [a for c, a in sec if c == "stop" and "Forward statistics" in a]
    expect(len(phases) == 3, "three forwarding phases, got %d" % len(phases))
    for name, a in zip(("io, promiscuous", "io, not promiscuous", "mac"), phases):
        stats = kface.fwd_stats(a)
        f["forwards (%s)" % name] = all(
            stats.get(p, (0, 0))[0] > 0 and stats.get(p, (0, 0))[1] > 0
            for p in (0, 1))
    ctl = dict(re.findall(r"\[ctl stats (\d): ([^\]]*)\]", "".join(a for _, a in sec)))
    expect(len(ctl) == 2, "the device's counters of both ports")
    for p, line in sorted(ctl.items()):
        n = dict((k, int(v)) for k, v in re.findall(r"(\w+) (\d+)", line))
        f["port %s: sent (tx > 0)" % p] = n["tx"] > 0
        f["port %s: lost on Tx (tx_dropped, tx_errors)" % p] = (n["tx_dropped"], n["tx_errors"])
    for c, a in sec:
        if c == "set allmulti all on":
            f["allmulti on: errors"] = re.findall(
                r"Error during enabling all-multicast mode for port (\d+): ([\w ]+)", a)
        if c == "set promisc all on":
            f["promisc on: errors"] = re.findall(
                r"Error during enabling promiscuous mode for port (\d+)", a)
        if c.startswith("mac_addr add"):
            m = re.search(r"mac_addr_cmd error: \(([^)]*)\)", a)
            f["unicast MAC not the VF's" if c == "mac_addr add 0 02:00:00:00:00:05"
              else "multicast MAC after it"] = m.group(1) if m else "accepted"
        if c == "port start all":
            f["start after MTU: failures"] = re.findall(r"Fail to start port (\d+)", a)
        if c == "port start 0":
            f.setdefault("start 0 (netdev down; up; after the MAC)", []).append(
                re.findall(r"Fail to start port (\d+): ([\w ]+)", a))
    return f


def case_kface_vf_side_by_side(env):
    """upstream net_mlx4 and mlx4r backend=verbs on the emulated VF: the
    same answers, row by row."""
    kface.need_upstream_pmd(env.args)
    up = facts(run(env, "upstream"))
    vb = facts(run(env, "verbs"))
    # Deliberate (doc/guides/nics/mlx4r.rst, row SR-IOV): upstream keeps a
    # MAC whose rule the PF refused (mlx4_ethdev.c mlx4_mac_addr_add writes
    # priv->mac[] before its rule sync and does not undo it), so every
    # later sync fails: the next MAC, the next start; mlx4r drops it.
    deliberate = {
        "multicast MAC after it": ("Invalid argument", "accepted"),
        "start 0 (netdev down; up; after the MAC)": (
            [[("0", "Invalid argument")], [], [("0", "Invalid argument")]],
            [[("0", "Invalid argument")], [], []]),
    }
    bad = []
    for k in up:
        same = up[k] == vb.get(k)
        if k in deliberate:
            ok = (up[k], vb.get(k)) == deliberate[k]
            verdict = "deliberate" if ok else "DIFFERS (not as documented)"
        else:
            ok = same
            verdict = "same" if same else "DIFFERS"
        print("%-44s upstream %-28r verbs %-28r %s"
              % (k, up[k], vb.get(k), verdict), flush=True)
        if not ok:
            bad.append(k)
    expect(not bad, "rows that differ: %s" % ", ".join(bad))
    # what the VF enforces, seen from both sides
    expect(up["allmulti on: errors"] == [("0", "Invalid argument"), ("1", "Invalid argument")],
           "the PF refuses an all-multicast rule without an Ethernet header (EINVAL)")
    expect(up["unicast MAC not the VF's"] == "Invalid argument",
           "the PF refuses a rule on a MAC that is not the VF's (EINVAL)")
    expect(up["promisc on: errors"] == [] and up["promisc after 'set promisc all on'"] == "enabled",
           "promiscuous is taken (its rule's Ethernet value is multicast)")
    expect(up["MTU after config"] == "1600", "MTU 1600")
    expect(up["start 0 (netdev down; up; after the MAC)"][:2] == [[("0", "Invalid argument")], []],
           "the VF's MAC is not registered while its netdev is down: its rule is refused;"
           " up again, the port starts")
    expect(all(up["forwards (%s)" % n] for n in ("io, promiscuous", "io, not promiscuous", "mac")),
           "every phase forwards on both ports")


def case_kface_vf_probe(env):
    """The wrapper's VF: PCI 15b3:1004, part 4100, MT4100, no physfn link."""
    rc, out = env.run(["bash", "-c",
                       'ibv_devinfo | grep -E "vendor_part_id|hca_id"; '
                       'd=$SYSFS_PCI_DEVICES/$MLX4R_EMU_PCI; cat $d/device $d/subsystem_device; '
                       'cat $d/infiniband/mlx4_0/hca_type; '
                       '[ -e $d/physfn ] && echo physfn || echo no-physfn'],
                      wrapper=["--vf"])
    expect(rc == 0, "exit 0")
    for needle in ("vendor_part_id:\t\t\t4100", "0x1004", "0x61b0", "MT4100", "no-physfn",
                   "ConnectX-3 VF (15b3:1004)"):
        kface.expect_in(out, needle)


def case_kface_vf_verbs_fatal(env):
    """A catastrophic error on the VF (the kernel makes its netdevs anew,
    down): mlx4r's proactive recovery brings them up before its rules,
    which the PF takes only for the MAC of an up netdev, and forwards."""
    steps = [("start", 1.0), ("!ctl fatal 100", 0), ("show port info 0", 3.0),
             ("stop", 0), ("start", 1.0), ("stop", 0), ("quit", 0)]
    rc, out = kface.interact(env, kface.testpmd_mlx4r(env, "vf_verbs_fatal"), steps,
                             wrapper=["--vf"])
    expect(rc == 0, "testpmd exits 0")
    for p in (0, 1):
        kface.expect_in(out, "Port %d: error recovery successful event" % p)
    expect("cannot add a steering rule" not in out, "every rule taken after the recovery")
    ph = kface.phases(out)
    expect(len(ph) == 2, "two forwarding phases, got %d" % len(ph))
    for p, (rx, tx) in sorted(ph[1][0].items()):
        expect(rx > 0 and tx > 0,
               "after the recovery, port %d forwards (RX %d, TX %d)" % (p, rx, tx))


CASES = {n[len("case_"):]: f for n, f in globals().items() if n.startswith("case_")}


def main():
    return kface.run_cases(CASES, options=kface.OPTIONS, make_env=kface.Env,
                           doc=__doc__)


if __name__ == "__main__":
    sys.exit(main())
