#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""Side by side: upstream net_mlx4 and mlx4r on the same emulated device.

Each case runs ONE testpmd command script on three targets:
 - upstream: Debian's own net_mlx4 on the emulated ConnectX-3's PCI
   function, under devtools/with-emu-cx3.sh (the kernel face);
 - verbs: mlx4r backend=verbs on the same kernel face;
 - emu: mlx4r's own emulated backend, a vdev, no wrapper;
then takes from each command's answer the facts a features row is about
(what testpmd prints: port info fields, error codes, counters, the Rx
flags of received frames; what the wire saw: the other port's Rx on a
cross-connected cable) and compares them row by row. A row passes when
the three agree, or when mlx4r's answer is the difference documented as
deliberate in doc/guides/nics/mlx4r.rst ("Features of upstream
net_mlx4", column Side by side): the case asserts that difference, so
that a change on either side is seen. Every row prints one line of the
comparison.

Rows of other parts of the work (rte_flow, TSO, inner checksums, Rx
interrupts) go in ROWS_LATER_PORT or ROWS_LATER_RX (or a new case of the
same shape): a script part (steps) and its checks (Rows.same() /
Rows.differs()), see add_rows(). PARITY_DUMP=PREFIX in the environment
writes each target's answers, command by command, to PREFIX.<case>.<target>.

Exit 0 (pass), 1 (fail) or 77 (skipped: Debian's net_mlx4 missing).
"""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kface  # noqa: E402  (the kernel-face harness: interact(), Env)
from kface import CaseFailed, expect  # noqa: E402

TARGETS = ("upstream", "verbs", "emu")
# the ports' MAC addresses: the kernel face's (with-emu-cx3.sh, the
# firmware's), the emulated backend's (mlx4r_emu_obj.c: 00:02:c9, the
# device's creation index, the port)
MACS = {"upstream": ("00:02:C9:00:00:01", "00:02:C9:00:00:02"),
        "verbs": ("00:02:C9:00:00:01", "00:02:C9:00:00:02"),
        "emu": ("00:02:C9:00:01:01", "00:02:C9:00:01:02")}


# testpmd's prompt, which the lines of received frames of 'set verbose 1'
# (the forwarding lcore's: "port 1/queue 0: received 32 packets", then a
# "  src=" and an "  ol_flags:" line per frame) may cut anywhere too: the
# harness's prompt counting (kface.prompts_in()) with those lines added to
# the ones it allows, each gap captured so that sections() keeps them.
_GAP = (r"((?:\n|(?:mlx4r|net_mlx4|EAL|Port \d+[: ]|\[ctl |\[tel |"
        r"port \d+/queue \d+: |  src=|  ol_flags: )[^\n]*\n)*)")
PROMPT = re.compile(_GAP.join(re.escape(c) for c in "testpmd> "))
kface.PROMPT = PROMPT


# The netdevs carry the kernel's own traffic (the kernel face's
# bifurcation): brought up by the driver, they send IPv6 neighbour
# discovery and MLD, which the other port of the cable receives among the
# counted frames. No IPv6 on them (the wrapper's private network
# namespace), as on a host that runs DPDK on the port.
QUIET_KERNEL = ["bash", "-c", 'for n in all default ${MLX4R_KFACE_IFNAMES//,/ }; do '
                'f=/proc/sys/net/ipv6/conf/$n/disable_ipv6; '
                '[ -w "$f" ] && echo 1 > "$f"; done; exec "$@"', "bash"]


def argv_of(env, target, case, wire, extra):
    """The testpmd command line of @p target, and how to run it."""
    extra = list(extra)
    if target == "upstream":
        argv = kface.testpmd_upstream(env, "par_%s_up" % case, extra)
        return QUIET_KERNEL + ["stdbuf", "-oL"] + argv, ["--wire", wire], False
    if target == "verbs":
        argv = kface.testpmd_mlx4r(env, "par_%s_verbs" % case, "", extra)
        return QUIET_KERNEL + ["stdbuf", "-oL"] + argv, ["--wire", wire], False
    argv = ([env.args.testpmd] + kface.EAL + ["--file-prefix=par_%s_emu" % case,
            "-d", env.plugin_name, "--vdev", "net_mlx4r0,ports=2,wire=" + wire]
            + kface.TESTPMD + extra)
    return ["stdbuf", "-oL"] + argv, (), True


def sections(out):
    """testpmd's answer to each command, in order: the text between one
    prompt and the next, with the lines that cut the next prompt."""
    ms = list(PROMPT.finditer(out))
    secs = []
    for i, m in enumerate(ms):
        nxt = ms[i + 1] if i + 1 < len(ms) else None
        secs.append(out[m.end():nxt.start() if nxt else len(out)] +
                    ("".join(g or "" for g in nxt.groups()) if nxt else ""))
    return secs


# A window's frames on the wire, counted exactly: MARK before the
# window's "start tx_first 1" notes what port 0 (the model's port 1) has
# sent so far; SETTLE, before its "stop", waits until the model has put
# the window's 32 frames of port 0 on the cable (sent, or dropped at the
# sender: the model counts a frame after the other port took it,
# mlx4r_emu_engine.c emu_tx_run(), mlx4r_emu_wire.c). On the kernel face a
# device thread plays the hardware's part and sends a frame some time
# after the driver posted it: on a loaded machine a frame of one window
# could reach the other port after the next window's start had flushed
# its queues and taken its counters (testpmd start_packet_forwarding():
# flush_fwd_rx_queues(), then fwd_stats_reset()), and count in that
# window (kface_parity_rx once saw 33 of 32). After SETTLE no frame of
# the window is left to arrive, so each window counts its own frames and
# no other. The emulated backend needs no SETTLE (dropped there): its
# engine runs in the Tx burst (emu_tx_hook(), everything posted), so the
# frames are on the cable when tx_first's burst returns.
MARK = "!mark"
SETTLE = "!settle"
WINDOW_FRAMES = 32  # testpmd's tx_first burst: one burst per port


def window(tag, verbose=False, pause=0.5):
    """One rxonly window: port 0 sends a burst, port 1's count is the
    "stop"'s (tagged @p tag); @p verbose: the start's answer too, under
    "~" + @p verbose (the frames set verbose prints)."""
    return [(None, MARK, 0),
            ("~" + verbose if verbose else None, "start tx_first 1", pause),
            (None, SETTLE, 0), (tag, "stop", 0)]


def _model_sent(env, text):
    """What port 0 (the model's port 1) has sent, dropped at the sender
    or failed: the model's counters through its control socket."""
    m = re.search(r"control (\S+ctl\.sock)", text)
    if m is None:
        raise CaseFailed("the wrapper names no control socket")
    r = subprocess.run([sys.executable, env.args.ctl, "--socket", m.group(1),
                        "stats", "1"], capture_output=True, text=True)
    vals = {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", r.stdout)}
    if r.returncode != 0 or "tx" not in vals:
        raise CaseFailed("mlx4r-emu-ctl stats 1: %s%s" % (r.stdout, r.stderr))
    return vals["tx"] + vals.get("tx_dropped", 0) + vals.get("tx_errors", 0)


def _wire_steps(env):
    """MARK and SETTLE as kface.interact() steps (functions of the output
    so far, see there), sharing the mark."""
    mark = [0]

    def do_mark(text):
        mark[0] = _model_sent(env, text)
        return "mark: port 0 sent %d" % mark[0]

    def do_settle(text):
        deadline = time.monotonic() + 30
        while True:
            sent = _model_sent(env, text) - mark[0]
            if sent >= WINDOW_FRAMES:
                break
            if time.monotonic() > deadline:
                raise CaseFailed("port 0 put %d of the window's %d frames on "
                                 "the wire in 30 s" % (sent, WINDOW_FRAMES))
            time.sleep(0.01)
        # port 1's lcore polls what arrived before the stop (it spins)
        time.sleep(0.1)
        return "settled: port 0 sent %d" % sent
    return do_mark, do_settle


def run(env, case, script, wire="gen", extra=()):
    """Run @p script (a list of (tag, command, pause); tag None: not
    looked at; MARK / SETTLE: see window()) on every target; return
    {target: {tag: answer}}."""
    facts = {}
    for t in TARGETS:
        m0, m1 = MACS[t]
        argv, wrapper, direct = argv_of(env, t, case, wire, extra)
        do_mark, do_settle = _wire_steps(env)
        # MARK and SETTLE print no prompt: the answer (section) of each
        # other step of the script, in order
        steps, sec_of = [], []
        for _, cmd, pause in script:
            if cmd in (MARK, SETTLE):
                sec_of.append(None)
                if not direct:
                    steps.append((do_mark if cmd == MARK else do_settle, 0))
                continue
            sec_of.append(sum(k is not None for k in sec_of))
            steps.append((cmd.format(mac0=m0, mac1=m1), pause))
        nb_secs = sum(k is not None for k in sec_of)
        # the model's counters of the netdevs, last (kface.interact()'s
        # "!ctl": no prompt of their own)
        ctl = [] if direct else [("!ctl stats %d" % p, 0) for p in (1, 2)]
        steps += ctl
        steps.append(("quit", 0))
        rc, out = kface.interact(env, argv, steps, timeout=150,
                                 wrapper=wrapper, direct=direct)
        expect(rc == 0, "%s: testpmd exits 0 (got %d)" % (t, rc))
        # the kernel face's model says when a driver breaks one of its
        # rules (a WQE error, the headroom): none, on every target
        # (anywhere in a line: the device thread's log may cut a prompt)
        model_errors = re.findall(r"mlx4r emu: \w+\(\): [^\n]*", out)
        expect(not model_errors, "%s: the device model reported no error: %r"
               % (t, model_errors))
        secs = sections(out)
        if os.environ.get("PARITY_DUMP"):
            with open("%s.%s.%s" % (os.environ["PARITY_DUMP"], case, t), "w") as f:
                cmds = [c for c, _ in steps if not callable(c)]
                for i, sec in enumerate(secs):
                    f.write("=== %d %r\n%s\n" % (i, cmds[i] if i < len(cmds) else None, sec))
        expect(len(secs) >= nb_secs,
               "%s: an answer to every command (%d of %d)"
               % (t, len(secs), nb_secs))
        # the kernel sent nothing on the netdevs (QUIET_KERNEL): a frame
        # of its own would be counted with the test's at the other port
        # of the cable (mlx4r_emu_wire.c mlx4r_emu_netdev_xmit() counts
        # them in netdev_tx)
        for p, n in re.findall(r"\[ctl stats (\d): [^\]]*?netdev_tx (\d+)", out):
            expect(int(n) == 0, "%s: the kernel sent no frame of its own on "
                   "port %s's netdev (netdev_tx %s)" % (t, p, n))
        expect(len(re.findall(r"\[ctl stats \d: ", out)) == len(ctl),
               "%s: the model's counters of every netdev read" % t)
        # a tag "~x": the answer and the next one (what the forwarding
        # lcore prints, set verbose, comes after the next prompt too)
        facts[t] = {}
        for i, (tag, _, _) in enumerate(script):
            k = sec_of[i]
            if tag and tag.startswith("~"):
                facts[t][tag[1:]] = secs[k] + secs[k + 1]
            elif tag:
                facts[t][tag] = secs[k]
    return facts


# ---------------------------------------------------------------- facts

def field(name):
    """'Name: value' of testpmd's show port info (the first)."""
    def get(text):
        m = re.search(r"^%s: ?(.*)$" % re.escape(name), text, re.M)
        return m.group(1).strip() if m else None
    get.__name__ = name
    return get


def answer(text):
    """What testpmd said about a command's result: its own error lines
    (not the drivers' logs, which name different functions), with the
    errno; "ok" when it said nothing of the sort."""
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if not line or re.match(r"^(net_mlx4|mlx4r_\w+\(\)|EAL|Port \d+: link)", line):
            continue
        if re.search(r"fail|Fail|diag=|return code|err =|not supported|Bad arguments|"
                     r"[Ii]nvalid|disabled|isn't enabled|exceeds", line):
            lines.append(re.sub(r"\s+", " ", line))
    return " / ".join(lines) if lines else "ok"


def errno_of(text):
    """The errno testpmd printed (diag=, return code =, err =), 0 if none,
    and -22 for 'Invalid argument' spelled out."""
    m = re.search(r"(?:diag|return code|err)\s*=\s*(-?\d+)", text)
    if m:
        return int(m.group(1))
    if re.search(r"Fail to start port \d+: Invalid argument", text):
        return -22
    if "Function not supported" in text or "operation not supported" in text:
        return -95
    return 0


def fwd_rx(port):
    """RX-packets of @p port in a 'stop' (forward statistics)."""
    def get(text):
        m = re.search(r"Forward statistics for port %d\s+-+\s*\n\s*RX-packets: (\d+)"
                      % port, text)
        return int(m.group(1)) if m else None
    get.__name__ = "rx of port %d" % port
    return get


def nic(name, port=None):
    """A counter of 'show port stats' ('RX-packets' ...) or an xstat."""
    def get(text):
        m = re.search(r"\b%s:\s+(\d+)" % re.escape(name), text)
        return int(m.group(1)) if m else None
    get.__name__ = name
    return get


def more_than(get, n):
    """@p get's value is above @p n (counts that depend on the timing)."""
    def above(text):
        v = get(text)
        return v is not None and v > n
    above.__name__ = "%s > %d" % (get.__name__, n)
    return above


def csum_bad(what):
    """The csum engine's Bad-<what> of every port in a 'stop', summed."""
    def get(text):
        vals = [int(v) for v in re.findall(r"Bad-%s: (\d+)" % what, text)]
        return sum(vals) if vals else None
    get.__name__ = "Bad-" + what
    return get


def rx_pkt(what):
    """What 'set verbose 1' printed of the received frames: the set of
    the values of @p what (hw ptype, ol_flags, length, nb_segs)."""
    def get(text):
        if what == "ol_flags":
            vals = re.findall(r"ol_flags: ([A-Z0-9_ ]+)", text)
            vals = [" ".join(sorted(v.split())) for v in vals]
        elif what == "hw ptype":
            vals = re.findall(r"hw ptype: ([A-Z0-9_ ]+?)\s+-", text)
        else:
            vals = re.findall(r"\b%s=(\w+)" % what, text)
        return " | ".join(sorted(set(vals))) if vals else None
    get.__name__ = what
    return get


def lsc_on(port):
    """testpmd printed an LSC event of @p port."""
    def get(text):
        return "Port %d: link state change event" % port in text
    get.__name__ = "LSC on port %d" % port
    return get


def ptypes(text):
    """show port N ptypes: the supported ones, as one line."""
    return " ".join(l.strip() for l in text.splitlines()
                    if re.match(r"^(L2|L3|L4|TUNNEL|INNER)_\w+\s*$", l.strip()))


def fc(text):
    """show port N flow_ctrl: Rx pause, Tx pause, Autoneg, or the error."""
    vals = [re.search(r"%s: (\w+)" % k, text) for k in ("Rx pause", "Tx pause", "Autoneg")]
    if all(vals):
        return "rx %s tx %s autoneg %s" % tuple(v.group(1) for v in vals)
    return answer(text)


def offloads(text):
    """show port N rx_offload|tx_offload capabilities: the port's."""
    m = re.search(r"Per Port\s*:\s*([A-Z0-9_ ]*)", text)
    q = re.search(r"Per Queue\s*:\s*([A-Z0-9_ ]*)", text)
    caps = set()
    for x in (m, q):
        if x:
            caps |= set(x.group(1).split())
    return " ".join(sorted(caps))


# ------------------------------------------------------------ comparison

class Rows:
    """The comparison of one case: each check prints a line, failures
    are collected and reported together at the end."""

    def __init__(self, facts):
        self.facts = facts
        self.failed = []

    def _vals(self, tag, get):
        return {t: get(self.facts[t][tag]) for t in TARGETS}

    def _line(self, row, what, vals, verdict):
        print("[row] %-22s %-28s %s: %s" % (row, what, verdict, "; ".join(
            "%s=%r" % (t, vals[t]) for t in TARGETS)), flush=True)

    def same(self, row, tag, get, expect_value=None):
        """The three targets say the same (and, if given, this)."""
        vals = self._vals(tag, get)
        ok = len(set(map(repr, vals.values()))) == 1 and (
            expect_value is None or vals["upstream"] == expect_value)
        self._line(row, "%s (%s)" % (get.__name__, tag), vals, "same" if ok else "DIFFERENT")
        if not ok:
            self.failed.append("%s: %s (%s): %r%s" % (
                row, get.__name__, tag, vals,
                "" if expect_value is None else ", expected %r" % (expect_value,)))

    def differs(self, row, tag, get, upstream, mlx4r, why):
        """The documented difference: upstream says @p upstream, both
        mlx4r backends @p mlx4r (values or predicates)."""
        vals = self._vals(tag, get)

        def match(v, want):
            return want(v) if callable(want) else v == want
        ok = match(vals["upstream"], upstream) and all(
            match(vals[t], mlx4r) for t in ("verbs", "emu"))
        self._line(row, "%s (%s)" % (get.__name__, tag), vals,
                   "documented difference" if ok else "UNEXPECTED")
        if ok:
            print("      why: " + why, flush=True)
        else:
            self.failed.append("%s: %s (%s): %r, documented: upstream %r, mlx4r %r" % (
                row, get.__name__, tag, vals, upstream, mlx4r))

    def done(self):
        expect(not self.failed, "rows that do not agree:\n  " + "\n  ".join(self.failed))


def add_rows(script, later):
    """The place for the rows of other parts (rte_flow, TSO, inner
    checksums, Rx interrupts): each of @p later is (steps, check), the
    steps appended to the script, check(rows) run with the others."""
    for steps, _ in later:
        script.extend(steps)
    return [check for _, check in later]


# ------------------------------------------------------------------ cases

# rows of later parts, per case: (steps, check(Rows)); the lead adds them
ROWS_LATER_PORT = []
ROWS_LATER_RX = []


def case_kface_parity_port(env):
    """The control path, side by side, on the generator wire (two queues
    per port): link status, FW version, MTU update (and its bounds),
    flow control, RSS (what upstream refuses), packet types, checksum
    offload capabilities, queue start/stop, link up/down, VLAN filter."""
    kface.need_upstream_pmd(env.args)
    script = [
        # upstream's link comes up after the start, with its LSC event
        # (the netdev up, then its carrier): its port info comes last of
        # this first part
        (None, "set verbose 0", 1.0),
        ("fw", "show port info 1", 0),
        ("rss_hash", "show port 0 rss-hash", 0),
        ("rss_reta", "port config 0 rss reta (0,0)", 0),
        ("rss_reta_2k", "port config 0 rss reta (0,1)", 0),
        ("rss_key", "port config 0 rss-hash-key ipv4 6d5a56da255b0ec24167253d43a38fb0"
                    "d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa", 0),
        ("fc_get", "show port 0 flow_ctrl", 0),
        ("fc_off", "set flow_ctrl rx off tx off 0 0 0 0 mac_ctrl_frame_fwd off autoneg off 0", 0),
        ("fc_get_off", "show port 0 flow_ctrl", 0),
        ("fc_autoneg", "set flow_ctrl rx on tx on 0 0 0 0 mac_ctrl_frame_fwd off autoneg on 0", 0),
        ("ptypes", "show port 0 ptypes", 0),
        ("rx_caps", "show port 0 rx_offload capabilities", 0),
        ("tx_caps", "show port 0 tx_offload capabilities", 0),
        ("info", "show port info 0", 0),
        ("rxq_stop", "port 0 rxq 1 stop", 0),
        ("rxq_start", "port 0 rxq 1 start", 0),
        ("txq_stop", "port 0 txq 1 stop", 0),
        ("txq_start", "port 0 txq 1 start", 0),
        ("~link_down", "set link-down port 0", 0.5),
        ("info_down", "show port info 0", 0),
        ("link_up", "set link-up port 0", 0.5),
        ("info_up", "show port info 0", 0),
        ("vlan_off", "rx_vlan add 5 0", 0),
        (None, "port stop 0", 0),
        ("mtu_big", "port config mtu 0 9700", 0),
        ("info_big", "show port info 0", 0),
        ("vlan_cfg", "port config 0 rx_offload vlan_filter on", 0),
        ("mtu", "port config mtu 0 9000", 0),
        ("start_mtu", "port start 0", 0),
        (None, "port stop 0", 0),
        ("scatter", "port config 0 rx_offload scatter on", 0),
        ("start_scatter", "port start 0", 0.3),
        ("vlan_add", "rx_vlan add 5 0", 0),
        ("vlan_rm", "rx_vlan rm 5 0", 0),
        ("info_mtu", "show port info 0", 0),
    ]
    later = add_rows(script, ROWS_LATER_PORT)
    facts = run(env, "port", script, extra=["--rxq=2", "--txq=2"])
    r = Rows(facts)
    r.same("Link status", "info", field("Link status"), "up")
    r.same("Link status", "info", field("Link speed"), "40 Gbps")
    r.same("Link status", "info", field("Link duplex"))
    r.same("FW version", "fw", field("Firmware-version"), "2.42.5000")
    r.same("MTU update", "info", field("MTU"), "1500")
    r.differs("MTU update", "mtu_big", answer, "Set MTU failed. diag=-22",
              "ok",
              "both refuse MTU 9700 (mlx4_en's max_mtu 9600): upstream through "
              "the netdev (SIOCSIFMTU -EINVAL), mlx4r in ethdev from its dev_info "
              "max_mtu (testpmd's eth_dev_validate_mtu prints the limit, no diag)")
    r.same("MTU update", "info_big", field("MTU"), "1500")
    r.same("MTU update", "mtu", errno_of, 0)
    r.differs("Scattered Rx", "start_mtu", errno_of, 0, -22,
              "9000-byte frames in 2048-byte mbufs without the scatter offload: "
              "upstream warns at queue setup and starts (then drops or cuts the "
              "frames), mlx4r refuses the start naming the queue")
    r.same("Scattered Rx", "start_scatter", errno_of, 0)
    r.same("MTU update", "info_mtu", field("MTU"), "9000")
    r.same("Flow control", "fc_get", fc, "rx on tx on autoneg off")
    r.same("Flow control", "fc_off", errno_of, 0)
    r.same("Flow control", "fc_get_off", fc, "rx off tx off autoneg off")
    r.same("Flow control", "fc_autoneg", errno_of, -22)
    r.differs("RSS hash", "rss_hash", answer, "operation not supported by device",
              lambda v: v == "ok",
              "upstream has no rss_hash_conf_get; mlx4r answers the hash in use")
    r.differs("RSS reta update", "rss_reta", answer,
              "Redirection table size is 0 which is invalid for RSS", "ok",
              "upstream has no RETA ops (size 0); mlx4r's RETA (64 entries) "
              "takes the queues of the port")
    r.differs("RSS reta update", "rss_reta_2k", answer,
              "Redirection table size is 0 which is invalid for RSS",
              "Bad redirection table parameter, return code = -22",
              "mlx4r refuses a RETA ConnectX-3 cannot do (2^k queues in order, "
              "mlx4r_rss_reta_table()); upstream has no RETA at all")
    r.differs("RSS key update", "rss_key", answer, "operation not supported by device",
              "ok", "upstream has no rss_hash_update; mlx4r updates the key")
    r.differs("Packet type parsing", "ptypes", ptypes,
              "L2_ETHER L3_IPV4_EXT_UNKNOWN L3_IPV6_EXT_UNKNOWN L4_FRAG L4_TCP L4_UDP",
              lambda v: v is not None and "L4_UDP" in v,
              "the list mlx4r answers (dev_supported_ptypes_get) names the exact "
              "L3 types; the frames' ptypes are compared in kface_parity_rx")
    r.differs("L3/L4 checksum offload", "rx_caps", offloads,
              lambda v: {"IPV4_CKSUM", "UDP_CKSUM", "TCP_CKSUM"} <= set(v.split()),
              lambda v: {"IPV4_CKSUM", "UDP_CKSUM", "TCP_CKSUM"} <= set(v.split()),
              "both offer the Rx checksums; the other capabilities differ by row "
              "(VLAN filter, RSS hash, keep CRC, scatter: see their rows)")
    r.differs("L3/L4 checksum offload", "tx_caps", offloads,
              lambda v: {"IPV4_CKSUM", "UDP_CKSUM", "TCP_CKSUM"} <= set(v.split()),
              lambda v: {"IPV4_CKSUM", "UDP_CKSUM", "TCP_CKSUM"} <= set(v.split()),
              "both offer the Tx checksums (upstream also TSO and the tunnel "
              "ones: their rows)")
    for tag in ("rxq_stop", "rxq_start", "txq_stop", "txq_start"):
        r.differs("Queue start/stop", tag, errno_of, -95, 0,
                  "upstream claims the row without the ops (Function not "
                  "supported in PMD); mlx4r has them")
    r.same("Link up/down", "link_down", errno_of, 0)
    r.same("Link status event", "link_down", lsc_on(0), True)
    r.differs("Link status event", "link_down", lsc_on(1), True, False,
              "port 0's link going down: upstream raises LSC on port 1 too "
              "(mlx4_intr.c mlx4_interrupt_handler() takes every port event "
              "of the device for its own port); mlx4r only on the port the "
              "event names")
    r.same("Link up/down", "info_down", field("Link status"), "down")
    r.same("Link up/down", "info_up", field("Link status"), "up")
    r.same("VLAN filter", "vlan_off", errno_of, -38)
    r.same("VLAN filter", "vlan_cfg", errno_of, 0)
    r.same("VLAN filter", "vlan_add", errno_of, 0)
    r.same("VLAN filter", "vlan_rm", errno_of, 0)
    for check in later:
        check(r)
    r.done()


def case_kface_parity_rx(env):
    """What the other port receives, side by side, on a cross-connected
    cable: rxonly forwarding after one burst of 32 frames from every port
    (start tx_first 1) through promiscuous off, the unicast MAC filter,
    the multicast filter, allmulticast, promiscuous on; the frames' packet
    types and Rx flags (set verbose 1); basic and per-queue statistics and
    their reset; CRC keeping; Tx checksums (the csum engine's frames
    checked by the receiving port); scattered Rx of 6000-byte frames, with
    the MTU given at configure and through rte_eth_dev_set_mtu()."""
    kface.need_upstream_pmd(env.args)
    script = [
        (None, "set fwd rxonly", 0),
        ("promisc_off_set", "set promisc all off", 0),
        *window("promisc_off"),
        (None, "set eth-peer 0 {mac1}", 0),
        *window("own_mac"),
        (None, "set eth-peer 0 02:00:00:00:00:77", 0),
        ("mac_add", "mac_addr add 1 02:00:00:00:00:77", 0),
        *window("added_mac"),
        ("mac_rm", "mac_addr remove 1 02:00:00:00:00:77", 0),
        *window("removed_mac"),
        (None, "set eth-peer 0 01:00:5e:00:00:05", 0),
        *window("mc_none"),
        ("mc_add", "mcast_addr add 1 01:00:5e:00:00:05", 0),
        *window("mc_added"),
        ("mc_rm", "mcast_addr remove 1 01:00:5e:00:00:05", 0),
        ("allmulti_set", "set allmulti 1 on", 0),
        *window("allmulti"),
        (None, "set allmulti 1 off", 0),
        (None, "set promisc 1 on", 0),
        (None, "set eth-peer 0 02:00:00:00:00:78", 0),
        (None, "clear port stats all", 0),
        (None, "set verbose 1", 0),
        *window("promisc_on", verbose="verbose"),
        (None, "set verbose 0", 0),
        ("stats", "show port stats 1", 0),
        ("xstats", "show port xstats 1", 0),
        (None, "clear port stats all", 0),
        ("stats_clear", "show port stats 1", 0),
        (None, "port stop 1", 0),
        ("crc_cfg", "port config 1 rx_offload keep_crc on", 0),
        (None, "port start 1", 0.3),
        (None, "set verbose 1", 0),
        *window("crc", verbose="crc_verbose"),
        (None, "set verbose 0", 0),
        ("crc_stats", "show port stats 1", 0),
        (None, "port stop 1", 0),
        (None, "port config 1 rx_offload keep_crc off", 0),
        ("csum_cfg", "port config 1 rx_offload ipv4_cksum on", 0),
        ("csum_cfg_udp", "port config 1 rx_offload udp_cksum on", 0),
        (None, "port start 1", 0.3),
        (None, "set verbose 1", 0),
        *window("csum", verbose="csum_verbose"),
        (None, "set verbose 0", 0),
        # Tx checksums on the wire: the csum engine forwards each frame
        # back with the IPv4 and UDP checksums left to the device, the
        # other port checks them (its Rx flags: Bad-ipcsum, Bad-l4csum)
        (None, "port stop all", 0),
        (None, "port config 0 rx_offload ipv4_cksum on", 0),
        (None, "port config 0 rx_offload udp_cksum on", 0),
        (None, "set fwd csum", 0),
        ("txcsum_ip", "csum set ip hw 0", 0),
        ("txcsum_udp", "csum set udp hw 0", 0),
        (None, "csum set ip hw 1", 0),
        (None, "csum set udp hw 1", 0),
        (None, "port start all", 0.3),
        # (2.5 s: long device-thread passes, where a driver reuses the
        # blocks of CQEs written during the pass, mlx4r_emu_engine.c
        # emu_tx_hook(): without the fix, 992 blocks "at once")
        (None, "start tx_first 1", 2.5), ("txcsum", "stop", 0),
        # scattered Rx on the wire: 6000-byte frames of three segments,
        # received in 2048-byte mbufs
        (None, "port stop all", 0),
        (None, "set fwd rxonly", 0),
        (None, "port config 0 rx_offload scatter on", 0),
        (None, "port config 1 rx_offload scatter on", 0),
        (None, "port config 0 tx_offload multi_segs on", 0),
        (None, "port config 1 tx_offload multi_segs on", 0),
        (None, "port config mtu 0 9000", 0),
        (None, "port config mtu 1 9000", 0),
        ("txpkts", "set txpkts 2000,2000,2000", 0),
        (None, "port start all", 0.3),
        (None, "set verbose 1", 0),
        *window("cfgmtu", verbose="cfgmtu_verbose"),
        (None, "set verbose 0", 0),
        # the same MTU through rte_eth_dev_set_mtu() (testpmd calls it on
        # a port that needs no reconfiguration)
        (None, "port stop all", 0),
        (None, "port config mtu 0 9000", 0),
        (None, "port config mtu 1 9000", 0),
        (None, "clear port stats all", 0),
        (None, "port start all", 0.3),
        (None, "set verbose 1", 0),
        *window("scatter", verbose="scatter_verbose"),
        (None, "set verbose 0", 0),
        ("scatter_stats", "show port stats 1", 0),
    ]
    later = add_rows(script, ROWS_LATER_RX)
    facts = run(env, "rx", script, wire="xconnect")
    r = Rows(facts)
    rx1 = fwd_rx(1)
    r.same("Promiscuous mode", "promisc_off_set", errno_of, 0)
    r.same("Promiscuous mode", "promisc_off", rx1, 0)
    r.same("Unicast MAC filter", "own_mac", rx1, 32)
    r.same("Unicast MAC filter", "mac_add", errno_of, 0)
    r.same("Unicast MAC filter", "added_mac", rx1, 32)
    r.same("Unicast MAC filter", "removed_mac", rx1, 0)
    r.same("Multicast MAC filter", "mc_none", rx1, 0)
    r.same("Multicast MAC filter", "mc_add", errno_of, 0)
    r.same("Multicast MAC filter", "mc_added", rx1, 32)
    r.same("Allmulticast mode", "allmulti", rx1, 32)
    r.same("Promiscuous mode", "promisc_on", rx1, 32)
    r.differs("Packet type parsing", "verbose", rx_pkt("hw ptype"),
              "L2_ETHER L3_IPV4_EXT_UNKNOWN L4_UDP", "L2_ETHER L3_IPV4 L4_UDP",
              "mlx4r reads the CQE's IPV4OPT bit (L3_IPV4 or L3_IPV4_EXT, "
              "mlx4r_rxtx.c); upstream's table says IPV4_EXT_UNKNOWN for both "
              "(mlx4_rxtx.c mlx4_ptype_table)")
    r.differs("RSS hash", "verbose", rx_pkt("ol_flags"),
              "RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN "
              "RTE_MBUF_F_RX_OUTER_L4_CKSUM_UNKNOWN RTE_MBUF_F_RX_RSS_HASH",
              "RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN "
              "RTE_MBUF_F_RX_OUTER_L4_CKSUM_UNKNOWN",
              "one queue, no RSS mode: upstream still goes through an RSS QP and "
              "flags the hash; mlx4r flags RTE_MBUF_F_RX_RSS_HASH only while the "
              "port hashes (RSS mode); the checksums unknown on both without "
              "the checksum offloads")
    r.same("L3/L4 checksum offload", "csum_cfg", errno_of, 0)
    r.same("L3/L4 checksum offload", "csum_cfg_udp", errno_of, 0)
    r.same("L3/L4 checksum offload", "csum", rx1, 32)
    r.same("L3/L4 checksum offload", "csum_verbose", rx_pkt("ol_flags"))
    r.same("Basic stats", "verbose", rx_pkt("length"), "64")
    r.same("Basic stats", "stats", nic("RX-packets"), 32)
    r.same("Basic stats", "stats", nic("RX-bytes"), 32 * 64)
    r.same("Basic stats", "stats", nic("RX-errors"), 0)
    r.same("Stats per queue", "xstats", nic("rx_q0_packets"), 32)
    r.same("Stats per queue", "xstats", nic("rx_q0_bytes"), 32 * 64)
    r.same("Basic stats", "stats_clear", nic("RX-packets"), 0)
    r.same("CRC offload", "crc_cfg", errno_of, 0)
    r.same("CRC offload", "crc", rx1, 32)
    r.same("L3/L4 checksum offload", "txcsum_ip", errno_of, 0)
    r.same("L3/L4 checksum offload", "txcsum_udp", errno_of, 0)
    # port 1 forwards what it receives back to itself, through port 0's
    # Tx: more than the 32 of the first burst, each checked
    r.same("L3/L4 checksum offload", "txcsum", more_than(fwd_rx(1), 32), True)
    r.same("L3/L4 checksum offload", "txcsum", csum_bad("ipcsum"), 0)
    r.same("L3/L4 checksum offload", "txcsum", csum_bad("l4csum"), 0)
    r.same("Scattered Rx", "txpkts", errno_of, 0)
    r.differs("MTU update", "cfgmtu", rx1, 0, 32,
              "an MTU given with rte_eth_dev_configure() (testpmd's port config "
              "mtu on a port to reconfigure): upstream keeps it in ethdev only, "
              "its netdev (the port's MTU) stays at 1500 and the device drops "
              "the 6000-byte frames; mlx4r sets the netdev's MTU at configure")
    r.same("Scattered Rx", "scatter", rx1, 32)
    r.same("Scattered Rx", "scatter_verbose", rx_pkt("length"), "6000")
    r.same("Scattered Rx", "scatter_verbose", rx_pkt("nb_segs"), "3")
    r.same("Scattered Rx", "scatter_stats", nic("RX-bytes"), 32 * 6000)
    r.differs("CRC offload", "crc_verbose", rx_pkt("length"), "64", "68",
              "with KEEP_CRC mlx4r leaves the FCS in the mbuf's length; upstream "
              "strips 4 bytes from the length (mlx4_rxtx.c mlx4_rx_burst: "
              "len -= crc_present), so the FCS is in the buffer but not counted")
    r.differs("CRC offload", "crc_stats", nic("RX-bytes"), 32 * 64, 32 * 68,
              "the byte counters count what the mbufs hold (see above)")
    for check in later:
        check(r)
    r.done()


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    return kface.run_cases(CASES, options=kface.OPTIONS, make_env=kface.Env,
                           doc=__doc__)


if __name__ == "__main__":
    sys.exit(main())
