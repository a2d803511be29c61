#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""Integration cases: the kernel netdevs of the emulated ConnectX-3 (the
bifurcation of a real mlx4) and the ConnectX-3 Pro part.

Under devtools/with-emu-cx3.sh --wire xconnect, stock testpmd runs
Debian's own net_mlx4 on the emulated card while an agent (this file,
`agent` mode) runs in the wrapper's network namespace beside it: it sends
frames on port 1's netdev (cx3p1) with a raw socket and counts what port
2's netdev (cx3p2) receives. What the kernel sends on cx3p1 leaves port 1,
crosses the cable and arrives at port 2, where the steering precedence of
doc/guides/nics/mlx4r_emu.rst decides: testpmd's port 1, or cx3p2, or
nobody. Exit 0 (pass), 1 (fail) or 77 (skipped, with the reason).
"""

import fcntl
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kface  # noqa: E402  (shared helpers: Env, the prompt, expect)
from kface import CaseFailed, expect, expect_in  # noqa: E402

MAC1 = "00:02:c9:00:00:01"      # cx3p1, port 1 (testpmd port 0)
MAC2 = "00:02:c9:00:00:02"      # cx3p2, port 2 (testpmd port 1)
OTHER = "02:00:00:00:00:99"     # nobody's unicast address
BCAST = "ff:ff:ff:ff:ff:ff"
GROUP = "01:00:5e:01:02:03"     # a group cx3p2 joins (ip maddr add)
GROUP2 = "01:00:5e:01:02:04"    # a group nobody joins

# --------------------------------------------------------------------------
# The agent: runs inside the wrapper's network namespace.

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SIOCGIFFLAGS = 0x8913
IFF_RUNNING = 0x40
MAX_KEPT = 4096                  # frames kept per interface


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def udp_frame(dst, src, dport, marker):
    """Ethernet / IPv4 / UDP to dport, the payload starting with marker."""
    payload = marker + bytes(32)
    ip_len = 20 + 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, 0, 0x4000, 64, 17, 0,
                     bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2]))
    s = sum(struct.unpack("!10H", ip))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    ip = ip[:10] + struct.pack("!H", ~s & 0xffff) + ip[12:]
    udp = struct.pack("!HHHH", 1234, dport, 8 + len(payload), 0)
    return mac_bytes(dst) + mac_bytes(src) + b"\x08\x00" + ip + udp + payload


def agent(sock_path, ifnames):
    """Serve the test: one request a datagram, one answer back.
      send IF DST DPORT MARKER N   N frames on IF to DST, UDP DPORT
      count IF MARKER              frames received on IF holding MARKER
      wait IF MARKER N SECONDS     up to SECONDS for N of them; the count
      running IF                   1 if IF is up with carrier
      sh COMMAND...                run a command here (ip, sysctl)
      quit
    """
    rx = {n: [] for n in ifnames}
    lock = threading.Condition()
    socks = {}
    for n in ifnames:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((n, 0))
        socks[n] = s

        def reader(name=n, sk=s):
            while True:
                data, addr = sk.recvfrom(65535)
                if addr[2] == PACKET_OUTGOING:
                    continue
                with lock:
                    if len(rx[name]) < MAX_KEPT:
                        rx[name].append(data)
                    lock.notify_all()
        threading.Thread(target=reader, daemon=True).start()

    def count(n, marker):
        return sum(1 for f in rx[n] if marker in f)

    def marker_of(word):
        # 0x...: bytes in hex (addresses), else the text itself
        return bytes.fromhex(word[2:]) if word.startswith("0x") else word.encode()

    srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    srv.bind(sock_path)
    # the agent goes with testpmd (its parent), whatever happens to the test
    srv.settimeout(1.0)
    parent = os.getppid()
    while True:
        try:
            req, peer = srv.recvfrom(4096)
        except socket.timeout:
            if os.getppid() != parent:
                return 0
            continue
        w = req.decode().split()
        try:
            if w[0] == "send":
                n, dst, dport, marker, cnt = w[1], w[2], int(w[3]), w[4].encode(), int(w[5])
                f = udp_frame(dst, MAC1 if n == ifnames[0] else MAC2, dport, marker)
                for _ in range(cnt):
                    socks[n].send(f)
                ans = "ok"
            elif w[0] == "count":
                with lock:
                    ans = str(count(w[1], marker_of(w[2])))
            elif w[0] == "wait":
                n, marker, want, secs = w[1], marker_of(w[2]), int(w[3]), float(w[4])
                end = time.monotonic() + secs
                with lock:
                    while count(n, marker) < want and time.monotonic() < end:
                        lock.wait(max(0.01, end - time.monotonic()))
                    ans = str(count(n, marker))
            elif w[0] == "running":
                ifr = struct.pack("16sH", w[1].encode(), 0) + bytes(22)
                r = fcntl.ioctl(socks[w[1]].fileno(), SIOCGIFFLAGS, ifr)
                ans = "1" if struct.unpack("16sH", r[:18])[1] & IFF_RUNNING else "0"
            elif w[0] == "sh":
                r = subprocess.run(w[1:], capture_output=True, text=True)
                ans = "rc %d %s%s" % (r.returncode, r.stdout, r.stderr)
            elif w[0] == "quit":
                srv.sendto(b"ok", peer)
                return 0
            else:
                ans = "error: unknown request"
        except (OSError, ValueError, IndexError) as e:
            ans = "error: %s" % e
        srv.sendto(ans.encode()[:4000], peer)


# --------------------------------------------------------------------------
# The test side.

class Session:
    """testpmd under the wrapper with the agent beside it: cmd() types a
    testpmd command and returns its output (up to the next prompt),
    agent() asks the agent, ctl() the emulated device."""

    def __init__(self, env, argv, wrapper, prelude=""):
        self.env = env
        self.dir = env.workdir
        self.asock = os.path.join(self.dir, "agent.sock")
        self.me = os.path.join(self.dir, "test.sock")
        script = os.path.abspath(__file__)
        inner = ('%s\n%s %s agent %s cx3p1 cx3p2 & exec stdbuf -oL "$@"' %
                 (prelude, sys.executable, script, self.asock))
        full = ([env.args.wrapper] + list(wrapper) + ["--", "bash", "-c", inner, "bash"]
                + list(argv))
        print("$ " + " ".join(full), flush=True)
        self.p = subprocess.Popen(full, cwd=self.dir, env=env.env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.buf = bytearray()
        self.cond = threading.Condition()
        self.prompts = 0
        self.deadline = time.monotonic() + 100
        threading.Thread(target=self._reader, daemon=True).start()
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(self.me)
        self.s.settimeout(10)
        self.ctl_path = None
        self._prompt()

    def _reader(self):
        while True:
            b = self.p.stdout.read1(4096)
            with self.cond:
                if not b:
                    self.buf.extend(b"\n<EOF>")
                    self.cond.notify_all()
                    return
                self.buf.extend(b)
                self.cond.notify_all()

    def _prompt(self):
        """Wait for the next prompt; the output since the previous one."""
        with self.cond:
            while kface.prompts_in(self.buf) <= self.prompts:
                left = self.deadline - time.monotonic()
                expect(b"<EOF>" not in self.buf, "testpmd still runs")
                expect(left > 0, "testpmd answers within 100 s")
                self.cond.wait(left)
            self.prompts = kface.prompts_in(self.buf)
            text = self.buf.decode(errors="replace")
        start = self._mark if hasattr(self, "_mark") else 0
        self._mark = len(text)
        return text[start:]

    def cmd(self, line):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()
        out = self._prompt()
        print("testpmd> %s\n%s" % (line, out.strip()), flush=True)
        return out

    def agent(self, req):
        for _ in range(100):
            try:
                self.s.sendto(req.encode(), self.asock)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                time.sleep(0.1)  # the agent binds its socket
        ans = self.s.recv(4096).decode()
        print("[agent %s: %s]" % (req, ans.strip()), flush=True)
        expect(not ans.startswith("error"), "agent %s: %s" % (req, ans))
        return ans

    def ctl(self, *words):
        if self.ctl_path is None:
            m = re.search(r"control (\S+ctl\.sock)", self.buf.decode(errors="replace"))
            expect(m is not None, "the wrapper names its control socket")
            self.ctl_path = m.group(1)
        r = subprocess.run([sys.executable, self.env.args.ctl, "--socket", self.ctl_path]
                           + list(words), capture_output=True, text=True)
        print("[ctl %s: %s%s]" % (" ".join(words), r.stdout.strip(), r.stderr.strip()),
              flush=True)
        expect(r.returncode == 0, "mlx4r-emu-ctl %s: %s%s" % (" ".join(words), r.stdout,
                                                           r.stderr))
        return r.stdout

    def stats(self, port):
        out = self.ctl("stats", str(port))
        return {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", out)}

    def netdev(self, port):
        out = self.ctl("netdev", str(port))
        return {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", out)}

    def netdev_has(self, port, key, value):
        """Wait (at most 10 s) until the device took key = value from the
        TAP (the device thread reads it every 10 ms)."""
        for _ in range(100):
            if self.netdev(port).get(key) == value:
                return
            time.sleep(0.1)
        raise CaseFailed("port %d's netdev: %s %d" % (port, key, value))

    def close(self):
        try:
            self.agent("quit")
        except CaseFailed:
            pass
        try:
            self.p.stdin.write(b"quit\n")
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        try:
            rc = self.p.wait(30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        self.s.close()
        with self.cond:
            rest = self.buf.decode(errors="replace")[getattr(self, "_mark", 0):]
        print(rest, flush=True)
        return rc


def rx_packets(out, port):
    """RX-packets of 'show port stats PORT'."""
    m = re.search(r"NIC statistics for port %d\s+#+\s*\n\s*RX-packets:\s+(\d+)" % port, out)
    expect(m is not None, "show port stats %d prints RX-packets" % port)
    return int(m.group(1))


# No IPv6 in the namespace: the kernel's own router solicitations and
# reports would cross the cable too; the cases count exactly.
PRELUDE = ("for f in /proc/sys/net/ipv6/conf/{all,default,cx3p1,cx3p2}/disable_ipv6; do\n"
           "\t[ -w $f ] && echo 1 > $f\ndone\nip link set cx3p1 up\nip link set cx3p2 up")


def upstream_argv(env, case, extra=()):
    return kface.testpmd_upstream(env, case, ["--forward-mode=rxonly"] + list(extra))


def wait_running(s):
    """cx3p1 and cx3p2 up with carrier: the device thread attached the
    TAPs and gave them the link (the kernel sends nothing before)."""
    for _ in range(100):
        if s.agent("running cx3p1").strip() == "1" and s.agent("running cx3p2").strip() == "1":
            return
        time.sleep(0.1)
    raise CaseFailed("cx3p1 and cx3p2 up with carrier")


def deliver(s, dst, dport, marker, n, tp_port=1):
    """Send n frames on cx3p1; return (frames cx3p2 got, frames testpmd's
    port got, the model's port 2 counters before and after). A frame
    that goes to cx3p2 is waited for (at most 5 s); a frame for testpmd
    is counted once the model's counters say it arrived."""
    before_tp = rx_packets(s.cmd("show port stats %d" % tp_port), tp_port)
    st0 = s.stats(2)
    s.agent("send cx3p1 %s %d %s %d" % (dst, dport, marker, n))
    # every frame arrives somewhere: a receive queue, cx3p2, or dropped
    end = time.monotonic() + 5
    while True:
        st1 = s.stats(2)
        arrived = sum(st1[k] - st0[k] for k in ("rx", "dropped", "netdev_rx")) + \
            (st1.get("missed", 0) - st0.get("missed", 0))
        if arrived >= n or time.monotonic() > end:
            break
        time.sleep(0.05)
    # what the netdev took is in the kernel at once: a short wait for it,
    # and as long for what should not come, to see it if it does
    got_nd = int(s.agent("wait cx3p2 %s %d %.1f" % (
        marker, n, 3 if st1["netdev_rx"] > st0["netdev_rx"] else 0.3)))
    # testpmd's counters follow its polling of what the queues hold
    for _ in range(30):
        tp = rx_packets(s.cmd("show port stats %d" % tp_port), tp_port) - before_tp
        if tp >= st1["rx"] - st0["rx"]:
            break
        time.sleep(0.1)
    return got_nd, tp, st0, st1


def case_kface_netdev_isolated(env):
    """Flow isolated mode (testpmd --flow-isolate-all: upstream creates no
    rule of its own): the rule testpmd adds takes its frames, the netdev
    none of them; what no uverbs rule claims and the netdev's rules (its
    MAC, broadcast, a joined group) take reaches cx3p2; what nobody claims
    is dropped. What cx3p1 sent is in port 1's counters as sent."""
    argv = upstream_argv(env, "netdev_isolated", ["--flow-isolate-all"])
    s = Session(env, argv, ["--wire", "xconnect"], PRELUDE)
    try:
        s.cmd("flow create 1 ingress pattern eth dst is %s / ipv4 / udp dst is 4000 / end "
              "actions queue index 0 / end" % MAC2)
        s.cmd("start")
        wait_running(s)
        before = s.netdev(2)["groups"]
        s.agent("sh ip maddr add %s dev cx3p2" % GROUP)
        s.netdev_has(2, "groups", before + 1)
        p1 = s.stats(1)
        nd, tp, a, b = deliver(s, MAC2, 4000, "K3RULE", 5)
        expect(tp == 5, "the uverbs rule: testpmd's port 1 got 5 (got %d)" % tp)
        expect(nd == 0, "the uverbs rule steals: cx3p2 got none (got %d)" % nd)
        expect(b["rx"] - a["rx"] == 5, "5 frames into receive queues")
        nd, tp, a, b = deliver(s, MAC2, 5000, "K3NDMAC", 5)
        expect(nd == 5 and tp == 0, "no rule but the netdev's MAC: cx3p2 got 5 (%d), "
               "testpmd none (%d)" % (nd, tp))
        expect(b["netdev_rx"] - a["netdev_rx"] == 5 and
               b["netdev_rx_dropped"] == a["netdev_rx_dropped"],
               "5 in netdev_rx, none refused by the TAP")
        nd, tp, a, b = deliver(s, BCAST, 4000, "K3BCAST", 3)
        expect(nd == 3 and tp == 0, "broadcast: the netdev's (%d), not testpmd's (%d)" %
               (nd, tp))
        nd, tp, a, b = deliver(s, GROUP, 4000, "K3GROUP", 3)
        expect(nd == 3 and tp == 0, "a joined group: the netdev's (%d, testpmd %d)" %
               (nd, tp))
        nd, tp, a, b = deliver(s, OTHER, 4000, "K3OTHER", 4)
        expect(nd == 0 and tp == 0 and b["dropped"] - a["dropped"] == 4,
               "another MAC: nobody's, 4 dropped (cx3p2 %d, testpmd %d, dropped %d)" %
               (nd, tp, b["dropped"] - a["dropped"]))
        nd, tp, a, b = deliver(s, GROUP2, 4000, "K3GROUP2", 2)
        expect(nd == 0 and tp == 0, "a group nobody joined: nobody's")
        p2 = s.stats(1)
        sent = 5 + 5 + 3 + 3 + 4 + 2
        expect(p2["netdev_tx"] - p1["netdev_tx"] == sent and
               p2["tx"] - p1["tx"] == sent and p2["netdev_tx_dropped"] == p1["netdev_tx_dropped"],
               "port 1 sent the %d frames of cx3p1 (tx %d, netdev_tx %d)" %
               (sent, p2["tx"] - p1["tx"], p2["netdev_tx"] - p1["netdev_tx"]))
        s.cmd("stop")
    finally:
        rc = s.close()
    expect(rc == 0, "testpmd exits 0")


def case_kface_netdev_promisc(env):
    """Upstream's own rules (not isolated: its MAC, broadcast, promiscuous
    as ALL_DEFAULT, all-multicast as MC_DEFAULT) against the netdev's:
    uverbs regular rules first, the netdev's regular rules next, the
    netdev's default rules (ip link set promisc: priority 0) before
    upstream's (0x1000)."""
    argv = upstream_argv(env, "netdev_promisc")
    s = Session(env, argv, ["--wire", "xconnect"], PRELUDE)
    try:
        s.cmd("set promisc all off")
        s.cmd("start")
        wait_running(s)
        before = s.netdev(2)["groups"]
        s.agent("sh ip maddr add %s dev cx3p2" % GROUP)
        s.netdev_has(2, "groups", before + 1)
        nd, tp, a, b = deliver(s, MAC2, 4000, "K3SHARED", 4)
        expect(tp == 4 and nd == 0, "the shared MAC: upstream's rule beats the netdev's "
               "(testpmd %d, cx3p2 %d)" % (tp, nd))
        nd, tp, a, b = deliver(s, BCAST, 4000, "K3BC", 3)
        expect(tp == 3 and nd == 0, "broadcast: upstream's rule beats the netdev's "
               "(testpmd %d, cx3p2 %d)" % (tp, nd))
        nd, tp, a, b = deliver(s, OTHER, 4000, "K3OFF", 3)
        expect(tp == 0 and nd == 0, "promiscuous off: another MAC is nobody's")
        s.cmd("set promisc all on")
        nd, tp, a, b = deliver(s, OTHER, 4000, "K3PROM", 3)
        expect(tp == 3 and nd == 0, "promiscuous: another MAC is upstream's "
               "(testpmd %d, cx3p2 %d)" % (tp, nd))
        nd, tp, a, b = deliver(s, GROUP, 4000, "K3JOIN", 3)
        expect(nd == 3 and tp == 0, "a joined group beats upstream's ALL_DEFAULT "
               "(cx3p2 %d, testpmd %d)" % (nd, tp))
        s.agent("sh ip link set cx3p2 promisc on")
        s.netdev_has(2, "promisc", 1)
        nd, tp, a, b = deliver(s, OTHER, 4000, "K3KPROM", 3)
        expect(nd == 3 and tp == 0, "the netdev promiscuous too: its ALL_DEFAULT "
               "(priority 0) beats upstream's (cx3p2 %d, testpmd %d)" % (nd, tp))
        nd, tp, a, b = deliver(s, MAC2, 4000, "K3SHARED2", 2)
        expect(tp == 2 and nd == 0, "a regular rule still beats every default one")
        s.cmd("stop")
    finally:
        rc = s.close()
    expect(rc == 0, "testpmd exits 0")


def case_kface_netdev_tx(env):
    """The other way: what testpmd sends on its port 0 to cx3p2's MAC
    (4 bursts of 32, start tx_first) leaves port 1, crosses the cable and
    arrives at port 2, where no uverbs rule claims it (isolated mode):
    the netdev's MAC rule hands it to cx3p2, the kernel receives it."""
    argv = upstream_argv(env, "netdev_tx", ["--flow-isolate-all", "--eth-peer=0,%s" % MAC2,
                                             "--txpkts=64", "--nb-ports=1"])
    s = Session(env, argv, ["--wire", "xconnect"], PRELUDE)
    try:
        wait_running(s)
        marker = "0x" + (mac_bytes(MAC2) + mac_bytes(MAC1)).hex()
        a1, a2 = s.stats(1), s.stats(2)
        s.cmd("start tx_first 4")
        n = int(s.agent("wait cx3p2 %s 128 10" % marker))
        s.cmd("stop")
        b1, b2 = s.stats(1), s.stats(2)
        expect(n == 128, "cx3p2 received testpmd's 128 frames (got %d)" % n)
        expect(b1["tx"] - a1["tx"] == 128 and b1["netdev_tx"] == a1["netdev_tx"],
               "port 1 sent 128, none of them the netdev's")
        expect(b2["netdev_rx"] - a2["netdev_rx"] == 128 and b2["rx"] == a2["rx"],
               "port 2: 128 in netdev_rx (%d), none in a receive queue" %
               (b2["netdev_rx"] - a2["netdev_rx"]))
    finally:
        rc = s.close()
    expect(rc == 0, "testpmd exits 0")


def case_kface_part_pro(env):
    """--part 4103: a ConnectX-3 Pro (PCI 15b3:1007, vendor_part_id 4103,
    hca_type MT4103), which Debian's net_mlx4 probes; 4099 stays the
    default."""
    kface.need("ibv_devinfo")
    rc, out = env.run(["ibv_devinfo", "-v"], wrapper=["--part", "4103"])
    expect(rc == 0, "ibv_devinfo -v exits 0")
    expect(re.search(r"vendor_part_id:\s+4103\b", out) is not None, "part 4103")
    expect_in(out, "ConnectX-3 Pro (15b3:1007)", "the wrapper names the Pro")
    rc, out = env.run(["sh", "-c", 'cat "$SYSFS_PATH"/class/infiniband/mlx4_0/hca_type '
                       '"$SYSFS_PCI_DEVICES"/*/device'], wrapper=["--part", "4103"])
    expect(re.search(r"^MT4103$", out, re.M) is not None, "hca_type MT4103")
    expect(re.search(r"^0x1007$", out, re.M) is not None, "PCI device 0x1007")
    rc, out = env.run(["ibv_devinfo"])
    expect(re.search(r"vendor_part_id:\s+4099\b", out) is not None, "4099 by default")
    rc, out = env.run(["true"], wrapper=["--part", "4101"])
    expect(rc == 2, "--part 4101 refused (exit 2, got %d)" % rc)
    expect_in(out, "--part 4101: 4099 (ConnectX-3), 4100 (ConnectX-3 VF) or 4103 (ConnectX-3 Pro)")
    kface.need_upstream_pmd(env.args)
    steps = [("show port 0 tx_offload capabilities", 0), ("quit", 0)]
    rc, out = kface.interact(env, kface.testpmd_upstream(env, "part_pro"), steps,
                             wrapper=["--part", "4103", "--wire", "none"])
    expect(rc == 0, "testpmd exits 0")
    expect_in(out, "Probe PCI driver: net_mlx4 (15b3:1007) device: " + kface.BDF)
    expect_in(out, 'PCI information matches, using device "mlx4_0"')
    # upstream turns its tunnel checksums on for the Pro's part id alone
    # (mlx4.c mlx4_pci_probe: hw_csum_l2tun; mlx4_txq.c
    # mlx4_get_tx_port_offloads: OUTER_IPV4_CKSUM)
    expect_in(out, "OUTER_IPV4_CKSUM", "upstream offers the Pro's tunnel checksums")
    rc, out = kface.interact(env, kface.testpmd_upstream(env, "part_cx3"), steps,
                             wrapper=["--wire", "none"])
    expect(rc == 0, "testpmd exits 0")
    expect_in(out, "Probe PCI driver: net_mlx4 (15b3:1003) device: " + kface.BDF)
    expect("OUTER_IPV4_CKSUM" not in out, "a ConnectX-3: no tunnel checksums")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "agent":
        return agent(sys.argv[2], sys.argv[3:])
    return kface.run_cases(CASES, options=kface.OPTIONS, make_env=kface.Env,
                           doc=__doc__)


if __name__ == "__main__":
    sys.exit(main())
