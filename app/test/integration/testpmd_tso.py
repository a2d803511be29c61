#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""TSO with stock dpdk-testpmd (issue 14): 22.11's ``tso set 800 <port>``
and ``csum set ip|tcp hw <port>`` on mlx4r, fed by net_pcap.

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
        m = re.match(r"port (\d+)/queue \d+: received \d+ packets", line)
        if m:
            cur = int(m.group(1))
            continue
        m = re.search(r"length=(\d+)", line)
        if m and cur == port:
            got.append([int(m.group(1)), ""])
            continue
        m = re.match(r"\s+ol_flags: (.*)", line)
        if m and cur == port and got and got[-1][1] == "":
            got[-1][1] = m.group(1)
    return got


def case_testpmd_tso(env):
    src = os.path.join(env.workdir, "in.pcap")
    dst = os.path.join(env.workdir, "out.pcap")
    frames = [tcp_frame(k) for k in range(FRAMES)]
    write_pcap(src, frames)
    rc, out = env.testpmd([
        "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (src, dst),
        "net_mlx4r0,wire=loopback",
    ], [
        "show port info 1",
        "port stop all",
        "port config 1 rx_offload ipv4_cksum on",
        "port config 1 rx_offload tcp_cksum on",
        "csum set ip hw 1",
        "csum set tcp hw 1",
        "tso set %d 1" % MSS,
        "port start all",
        "tso show 1",
        "set verbose 1",
        "set fwd csum",
        "start",
        "show port stats all",
        "show port stats all",
        "stop",
        "set verbose 0",
        "show port xstats 1",
    ], testpmd_args=["--mbuf-size=8192", "--no-flush-rx"], delay=0.5)
    if re.search(r"(failed to initialize|Driver, cannot attach the device).*"
                 r"net_pcap0|net_pcap0.*not found", out) or \
            "Infos for port 1" not in out:
        return st.skip("no net_pcap in this DPDK (librte-net-pcap23)")
    st.expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    st.expect_in(out, "Driver name: net_mlx4r", "port 1 is mlx4r")
    st.expect(re.search(r"TSO segment size for non-tunneled packets is %d"
                        % MSS, out) is not None, "TSO at %d on port 1" % MSS)
    cut = [MSS] * (PAYLOAD // MSS) + ([PAYLOAD % MSS] if PAYLOAD % MSS else [])
    want = [54 + c for c in cut] * FRAMES
    rx = rx_dumps(out, 1)
    st.expect(sorted(r[0] for r in rx) == sorted(want),
              "port 1 received %d segments of %s bytes (got %s)"
              % (len(want), sorted(set(want)), [r[0] for r in rx]))
    st.expect(all("RTE_MBUF_F_RX_IP_CKSUM_GOOD" in f and
                  "RTE_MBUF_F_RX_L4_CKSUM_GOOD" in f for _, f in rx),
              "each with IPv4 and TCP checksums the device found right")
    refused = re.findall(r"tx_tso_refused:\s+(\d+)", out)
    st.expect(refused and int(refused[-1]) == 0, "no TSO frame refused")
    segs = read_pcap(dst)
    st.expect(len(segs) == len(want), "%d segments forwarded to port 0 (%d)"
              % (len(want), len(segs)))
    by_flow = {}
    for s in segs:
        by_flow.setdefault(struct.unpack("!H", s[34:36])[0], []).append(s)
    for k in range(FRAMES):
        got = by_flow.get(1234 + k, [])
        st.expect(len(got) == len(cut), "frame %d: %d segments" %
                  (k, len(got)))
        orig = frames[k]
        for j, s in enumerate(got):
            ident, = struct.unpack("!H", s[18:20])
            seq, = struct.unpack("!I", s[38:42])
            fl = s[47]
            want_fl = 0x10 | (0x80 if j == 0 else 0) | \
                (0x09 if j == len(got) - 1 else 0)
            st.expect(ident == (ID0 + 16 * k + j) & 0xFFFF and
                      seq == (SEQ0 + 100000 * k + j * MSS) & 0xFFFFFFFF and
                      fl == want_fl and
                      s[54:] == orig[54 + j * MSS:54 + j * MSS + cut[j]],
                      "frame %d segment %d: id 0x%04x seq 0x%08x flags "
                      "0x%02x, payload slice" % (k, j, ident, seq, fl))
    return 0


CASES = {"testpmd_tso": case_testpmd_tso}


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--testpmd", default="dpdk-testpmd")
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    env = st.Env(args, args.case)
    try:
        ret = CASES[args.case](env)
    except st.CaseFailed as e:
        print("FAIL: %s: %s" % (args.case, e))
        return 1
    if ret == st.SKIP:
        return st.SKIP
    print("PASS: " + args.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
