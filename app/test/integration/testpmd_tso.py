#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""TSO and VXLAN checksums with stock dpdk-testpmd (issue 14): 22.11's
``tso set 800 <port>``, ``csum set ip|tcp|outer-ip hw <port>`` and
``csum parse-tunnel on <port>`` on mlx4r, fed by net_pcap, and the same on
Debian's net_mlx4 behind the kernel face (the kface_* cases: side by side).

Port 0 is net_pcap reading TCP/IPv4 frames of 3554 bytes from a file
written here; the csum engine forwards them to port 1, mlx4r on the
loopback wire, with TSO at 800 bytes: the emulated device cuts each into
segments, which come back to port 1's receive side, where testpmd prints
them (``set verbose 1``): their lengths, and the device's verdict on their
IPv4 and TCP checksums (GOOD only when the bytes are right). The csum
engine then forwards them to port 0, whose pcap file shows each segment's
IPv4 identification, TCP sequence number and flags (testpmd recomputes
the checksums of what it sends to port 0 in software, so those are not
the device's).

Run as stock_tools.py's cases are: ``testpmd_tso.py --plugin ... CASE``.
"""

import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stock_tools as st  # noqa: E402
from casemain import need_upstream_pmd  # noqa: E402

MSS = 800
PAYLOAD = 3500
FRAMES = 4
SEQ0 = 0xFFFFFC00  # the segments' sequence numbers wrap
ID0 = 0xFFFE       # and so does the IPv4 identification


def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def tcp_frame(k):
    """TCP/IPv4 frame k (flags ACK, PSH, FIN, CWR), checksums right."""
    payload = bytes((i * 7 + k) & 0xFF for i in range(PAYLOAD))
    eth = bytes.fromhex("020000000002" "020000000001") + b"\x08\x00"
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + PAYLOAD,
                               (ID0 + 16 * k) & 0xFFFF, 0x4000, 64, 6, 0,
                               bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])))
    ip[10:12] = struct.pack("!H", 0xFFFF - csum16(bytes(ip)))
    tcp = bytearray(struct.pack("!HHIIBBHHH", 1234 + k, 80,
                                (SEQ0 + 100000 * k) & 0xFFFFFFFF,
                                0x11223344, 5 << 4, 0x80 | 0x10 | 0x08 | 0x01,
                                65535, 0, 0))
    pseudo = bytes(ip[12:20]) + struct.pack("!BBH", 0, 6, 20 + PAYLOAD)
    tcp[16:18] = struct.pack("!H", 0xFFFF - csum16(pseudo + bytes(tcp) +
                                                     payload))
    return eth + bytes(ip) + bytes(tcp) + payload


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1, i, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path):
    out = []
    with open(path, "rb") as f:
        data = f.read()
    off = 24
    while off + 16 <= len(data):
        n = struct.unpack("<IIII", data[off:off + 16])[2]
        out.append(data[off + 16:off + 16 + n])
        off += 16 + n
    return out


def rx_dumps(out, port):
    """(length, ol_flags) of each frame testpmd printed as received on
    @p port (set verbose 1)."""
    got = []
    cur = None
    for line in out.splitlines():
        # (the prompt may precede it: testpmd prints from the lcore)
        m = re.search(r"port (\d+)/queue \d+: received \d+ packets", line)
        if m:
            cur = int(m.group(1))
            continue
        m = re.search(r"length=(\d+)", line)
        # IPv4 only: the kernel face's netdev sends its own frames
        # (IPv6 neighbour discovery, MLD) onto the loopback wire
        if m and cur == port and "type=0x0800" in line:
            got.append([int(m.group(1)), ""])
            continue
        m = re.search(r"ol_flags: (.*)", line)
        if m and cur == port and got and got[-1][1] == "":
            got[-1][1] = m.group(1)
    return got


TSO_COMMANDS = [
    "show port info {m}",
    "port stop all",
    "port config {m} rx_offload ipv4_cksum on",
    "port config {m} rx_offload tcp_cksum on",
    "csum set ip hw {m}",
    "csum set tcp hw {m}",
    "tso set %d {m}" % MSS,
    "port start all",
    "tso show {m}",
    "set verbose 1",
    "set fwd csum",
    "start",
    "show port stats all",
    "show port stats all",
    "stop",
    "set verbose 0",
    "show port xstats {m}",
]
TESTPMD_ARGS = ["--mbuf-size=8192", "--no-flush-rx"]


def check_tso(out, rc, m, driver, dst, frames, xstat=True):
    """What testpmd printed and port {pcap}'s file, for TSO on port m."""
    if re.search(r"(failed to initialize|Driver, cannot attach the device).*"
                 r"net_pcap0|net_pcap0.*not found", out) or \
            "Infos for port %d" % m not in out:
        return st.skip("no net_pcap in this DPDK (librte-net-pcap23)")
    st.expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    st.expect(re.search(r"Infos for port %d\s.*?Driver name: %s\n" % (m, driver),
                        out, re.S) is not None, "port %d is %s" % (m, driver))
    # 22.11 prints "TSO segment size for non-tunneled packets is 800",
    # 24.11's testpmd prints it without the "TSO " (seen in its output).
    st.expect(re.search(r"(TSO )?segment size for non-tunneled packets is %d"
                        % MSS, out) is not None, "TSO at %d on port %d" % (MSS, m))
    cut = [MSS] * (PAYLOAD // MSS) + ([PAYLOAD % MSS] if PAYLOAD % MSS else [])
    want = [54 + c for c in cut] * FRAMES
    rx = rx_dumps(out, m)
    st.expect(sorted(r[0] for r in rx) == sorted(want),
              "port %d received %d segments of %s bytes (got %s)"
              % (m, len(want), sorted(set(want)), [r[0] for r in rx]))
    st.expect(all("RTE_MBUF_F_RX_IP_CKSUM_GOOD" in f and
                  "RTE_MBUF_F_RX_L4_CKSUM_GOOD" in f for _, f in rx),
              "each with IPv4 and TCP checksums the device found right")
    if xstat:
        refused = re.findall(r"tx_tso_refused:\s+(\d+)", out)
        st.expect(refused and int(refused[-1]) == 0, "no TSO frame refused")
    segs = [f for f in read_pcap(dst)
            if f[12:14] == b"\x08\x00" and f[23] == 6]  # TCP/IPv4 only
    st.expect(len(segs) == len(want), "%d segments forwarded to the pcap "
              "port (%d)" % (len(want), len(segs)))
    by_flow = {}
    for seg in segs:
        by_flow.setdefault(struct.unpack("!H", seg[34:36])[0], []).append(seg)
    for k in range(FRAMES):
        got = by_flow.get(1234 + k, [])
        st.expect(len(got) == len(cut), "frame %d: %d segments" %
                  (k, len(got)))
        orig = frames[k]
        for j, seg in enumerate(got):
            ident, = struct.unpack("!H", seg[18:20])
            seq, = struct.unpack("!I", seg[38:42])
            fl = seg[47]
            want_fl = 0x10 | (0x80 if j == 0 else 0) | \
                (0x09 if j == len(got) - 1 else 0)
            st.expect(ident == (ID0 + 16 * k + j) & 0xFFFF and
                      seq == (SEQ0 + 100000 * k + j * MSS) & 0xFFFFFFFF and
                      fl == want_fl and
                      seg[54:] == orig[54 + j * MSS:54 + j * MSS + cut[j]],
                      "frame %d segment %d: id 0x%04x seq 0x%08x flags "
                      "0x%02x, payload slice" % (k, j, ident, seq, fl))
    return 0


def pcap_files(env):
    src = os.path.join(env.workdir, "in.pcap")
    dst = os.path.join(env.workdir, "out.pcap")
    frames = [tcp_frame(k) for k in range(FRAMES)]
    write_pcap(src, frames)
    return src, dst, frames


def case_testpmd_tso(env):
    """mlx4r (port 1, loopback wire) beside net_pcap (port 0)."""
    src, dst, frames = pcap_files(env)
    rc, out = env.testpmd([
        "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (src, dst),
        "net_mlx4r0,wire=loopback",
    ], [c.format(m=1) for c in TSO_COMMANDS], testpmd_args=TESTPMD_ARGS,
        delay=0.5)
    return check_tso(out, rc, 1, "net_mlx4r", dst, frames)


def case_kface_upstream_tso(env):
    """The same with Debian's own net_mlx4 on the emulated ConnectX-3
    behind the kernel face (devtools/with-emu-cx3.sh, one port on the
    loopback wire): upstream's LSO WQEs (mlx4_rxtx.c mlx4_tx_burst_tso),
    segmented by the same device, side by side with mlx4r's. PCI devices
    are probed before vdevs: net_mlx4 is port 0, net_pcap port 1."""
    need_upstream_pmd(env.args)
    if not env.args.wrapper or not env.args.kface_lib:
        return st.skip("no --wrapper/--kface-lib (the kernel face)")
    src, dst, frames = pcap_files(env)
    env.env["MLX4R_KFACE_LIB"] = os.path.abspath(env.args.kface_lib)
    argv = [env.args.wrapper, "--ports", "1", "--wire", "loopback", "--",
            "stdbuf", "-oL", env.args.testpmd, "-l", "0-1", "--no-huge",
            "-m", "1024", "--file-prefix=mlx4r_it_" + env.case,
            "-a", "0000:82:00.0", "--log-level=pmd.net.mlx4:info",
            "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (src, dst),
            "--", "-i", "--total-num-mbufs=16384", "--no-mlockall"] + \
        TESTPMD_ARGS
    rc, out = env.run(argv, [c.format(m=0) for c in TSO_COMMANDS] + ["quit"],
                      delay=0.5)
    return check_tso(out, rc, 0, "net_mlx4", dst, frames, xstat=False)


def vxlan_frame(k):
    """VXLAN frame k: outer IPv4/UDP to 4789 (UDP checksum 0), inner
    IPv4/TCP of 200 bytes whose checksums are 0 (the device's to set)."""
    payload = bytes((i * 5 + k) & 0xFF for i in range(200))
    tcp = struct.pack("!HHIIBBHHH", 2000 + k, 80, 1000 * k, 0, 5 << 4, 0x10,
                      65535, 0, 0)
    iip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), k, 0, 64,
                      6, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    inner = bytes.fromhex("020000000012" "020000000011") + b"\x08\x00" + \
        iip + tcp + payload
    vx = b"\x08\0\0\0\0\0\x42\0"
    udp = struct.pack("!HHHH", 49152, 4789, 16 + len(inner), 0)
    oip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0,
                                20 + len(udp) + len(vx) + len(inner), 7, 0,
                                64, 17, 0, bytes([192, 168, 0, 1]),
                                bytes([192, 168, 0, 2])))
    oip[10:12] = struct.pack("!H", 0xFFFF - csum16(bytes(oip)))
    return bytes.fromhex("020000000002" "020000000001") + b"\x08\x00" + \
        bytes(oip) + udp + vx + inner


VXLAN_COMMANDS = [
    "show port info {m}",
    "port stop all",
    "port config {m} rx_offload ipv4_cksum on",
    "port config {m} rx_offload tcp_cksum on",
    "port config {m} rx_offload udp_cksum on",
    "csum set ip hw {m}",
    "csum set tcp hw {m}",
    "csum set outer-ip hw {m}",
    "csum parse-tunnel on {m}",
    "port start all",
    "csum show {m}",
    "set verbose 1",
    "set fwd csum",
    "start",
    "show port stats all",
    "show port stats all",
    "stop",
]


def check_vxlan(out, rc, m, driver, dst, n):
    """Port m's device computed the inner checksums of n VXLAN frames."""
    if "Infos for port %d" % m not in out:
        return st.skip("no net_pcap in this DPDK (librte-net-pcap23)")
    st.expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    st.expect(re.search(r"Infos for port %d\s.*?Driver name: %s\n" % (m, driver),
                        out, re.S) is not None, "port %d is %s" % (m, driver))
    st.expect_in(out, "Outer-Ip checksum offload is hw",
                 "outer IPv4 checksum in hardware")
    rx = rx_dumps(out, m)
    st.expect(len(rx) == n, "port %d received %d VXLAN frames (%d)"
              % (m, n, len(rx)))
    st.expect(all("RTE_MBUF_F_RX_IP_CKSUM_GOOD" in f and
                  "RTE_MBUF_F_RX_L4_CKSUM_GOOD" in f for _, f in rx),
              "each with the checksum flags GOOD (%s)"
              % sorted(set(f for _, f in rx)))
    frames = [f for f in read_pcap(dst)
              if f[12:14] == b"\x08\x00" and f[23] == 17]
    st.expect(len(frames) == n, "%d VXLAN frames on to the pcap port (%d)"
              % (n, len(frames)))
    for k, f in enumerate(frames):
        iip, tcp = f[64:84], f[84:]
        pseudo = iip[12:20] + struct.pack("!BBH", 0, 6, len(tcp))
        st.expect(csum16(iip) == 0xFFFF and csum16(pseudo + tcp) == 0xFFFF,
                  "frame %d: inner IPv4 and TCP checksums right" % k)
    return 0


def case_testpmd_vxlan_csum(env):
    """Inner checksums of VXLAN frames on mlx4r's ConnectX-3 Pro."""
    src = os.path.join(env.workdir, "in.pcap")
    dst = os.path.join(env.workdir, "out.pcap")
    write_pcap(src, [vxlan_frame(k) for k in range(FRAMES)])
    rc, out = env.testpmd([
        "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (src, dst),
        "net_mlx4r0,wire=loopback,model=cx3pro",
    ], [c.format(m=1) for c in VXLAN_COMMANDS], testpmd_args=TESTPMD_ARGS,
        delay=0.5)
    return check_vxlan(out, rc, 1, "net_mlx4r", dst, FRAMES)


def case_kface_upstream_vxlan_csum(env):
    """The same with Debian's net_mlx4 on the kernel face's ConnectX-3 Pro
    (--part 4103): side by side."""
    need_upstream_pmd(env.args)
    if not env.args.wrapper or not env.args.kface_lib:
        return st.skip("no --wrapper/--kface-lib (the kernel face)")
    src = os.path.join(env.workdir, "in.pcap")
    dst = os.path.join(env.workdir, "out.pcap")
    write_pcap(src, [vxlan_frame(k) for k in range(FRAMES)])
    env.env["MLX4R_KFACE_LIB"] = os.path.abspath(env.args.kface_lib)
    argv = [env.args.wrapper, "--ports", "1", "--wire", "loopback",
            "--part", "4103", "--",
            "stdbuf", "-oL", env.args.testpmd, "-l", "0-1", "--no-huge",
            "-m", "1024", "--file-prefix=mlx4r_it_" + env.case,
            "-a", "0000:82:00.0", "--log-level=pmd.net.mlx4:info",
            "--vdev", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (src, dst),
            "--", "-i", "--total-num-mbufs=16384", "--no-mlockall"] + \
        TESTPMD_ARGS
    rc, out = env.run(argv, [c.format(m=0) for c in VXLAN_COMMANDS] +
                      ["quit"], delay=0.5)
    return check_vxlan(out, rc, 0, "net_mlx4", dst, FRAMES)


CASES = {"testpmd_tso": case_testpmd_tso,
         "kface_upstream_tso": case_kface_upstream_tso,
         "testpmd_vxlan_csum": case_testpmd_vxlan_csum,
         "kface_upstream_vxlan_csum": case_kface_upstream_vxlan_csum}


def main():
    return st.run_cases(CASES, options=(
        ("--plugin", dict(required=True)),
        ("--testpmd", dict(default="dpdk-testpmd")),
        ("--wrapper", dict(default=None)),
        ("--kface-lib", dict(default=None)),
    ), make_env=st.Env, doc=__doc__)


if __name__ == "__main__":
    sys.exit(main())
