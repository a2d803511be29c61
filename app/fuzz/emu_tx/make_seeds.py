#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors

"""Write the seed programs of mlx4r-fuzz-emu_tx into corpus/.

The program format is described at the top of app/fuzz/fuzz_emu_tx.c:
three set-up bytes, then operations. Run from anywhere:

    app/fuzz/emu_tx/make_seeds.py
"""

import os
import struct

RAW, WQE, DOORBELL, STAMP, QP, CQDB, RXPOST, RXPOLL, WQ, RQRAW, DATA = range(11)
SEG_BUF, SEG_RXMEM, SEG_BADKEY, SEG_OUTSIDE, SEG_EMPTY, SEG_INLINE, \
    SEG_ZERO, SEG_WILD = range(8)
SOLICIT, CQ_UPDATE, IP_CSUM, L4_CSUM, FORCE_LB = 0x02, 0x0c, 0x10, 0x20, 0x01

# An Ethernet + IPv4 + UDP frame of 60 bytes to 02:00:00:00:00:aa.
FRAME = bytes.fromhex(
    '0200000000aa' '020000000066' '0800'
    '4500002e00000000401100000a0000010a000002'
    '0fa00fa0001a0000') + bytes(18)


def setup(c0=0, c1=0, c2=15):
    return bytes([c0, c1, c2])


def data(off, payload):
    return bytes([DATA]) + struct.pack('>HB', off, len(payload) - 1) + payload


def wqe(segs, opc=0, ds=0, flags=SOLICIT | CQ_UPDATE, ctl=0, vlan=0):
    b = bytes([WQE, opc, ds, flags, ctl]) + struct.pack('>H', vlan)
    b += bytes([len(segs)])
    for kind, off, length in segs:
        b += bytes([kind]) + struct.pack('>HH', off, length)
    return b


def send(kind=SEG_BUF, off=0, length=60, **kw):
    return wqe([(kind, off, length)], **kw)


def ring(seed_dir):
    frame = data(0, FRAME)
    seeds = {
        'send': setup() + frame + send() + bytes([DOORBELL, RXPOLL, STAMP]),
        'send_two_segs': setup() + frame +
        wqe([(SEG_BUF, 0, 14), (SEG_BUF, 14, 46)]) + bytes([DOORBELL]),
        'nop': setup() + wqe([], opc=1) + bytes([DOORBELL]),
        'bad_opcode': setup() + frame + send(opc=0x80 | 0x03) +
        bytes([DOORBELL]) + send() + bytes([DOORBELL]),
        'bad_ds': setup() + frame + send(ds=0x40 | 1) + bytes([DOORBELL]),
        'ds_too_big': setup(c0=4) + frame + send(ds=0x40 | 63) +
        bytes([DOORBELL]),
        'bad_lkey': setup() + frame + send(kind=SEG_BADKEY) +
        bytes([DOORBELL]),
        'outside': setup() + frame + send(kind=SEG_OUTSIDE, off=10) +
        bytes([DOORBELL]),
        'inline': setup() + frame + send(kind=SEG_INLINE) +
        bytes([DOORBELL]),
        'empty_seg': setup() + frame +
        wqe([(SEG_EMPTY, 0, 0), (SEG_BUF, 0, 60)]) + bytes([DOORBELL]),
        'zero_len': setup() + frame + send(kind=SEG_ZERO) +
        bytes([DOORBELL]),
        'too_long': setup() + wqe([(SEG_BUF, 0, 9000), (SEG_BUF, 0, 9000)])
        + bytes([DOORBELL]),
        'short': setup() + send(length=13) + bytes([DOORBELL]),
        'rx_mem': setup() + send(kind=SEG_RXMEM, length=64) +
        bytes([DOORBELL, RXPOLL]),
        'vlan_icrc': setup() + frame +
        send(flags=CQ_UPDATE | IP_CSUM | L4_CSUM, ctl=0x40, vlan=0x0123) +
        bytes([DOORBELL, RXPOLL]),
        'vf_loopback': setup(c0=2) + frame +
        send(flags=SOLICIT | CQ_UPDATE | FORCE_LB) + bytes([DOORBELL, RXPOLL]),
        'owner_flip': setup() + frame + send(ctl=1) + bytes([DOORBELL]) +
        send() + bytes([DOORBELL]),
        'wrap_stamped': setup(c2=3) + frame +
        (send() + bytes([DOORBELL, STAMP, RXPOLL])) * 80,
        'wrap_unstamped': setup(c2=3) + frame +
        (send() + bytes([DOORBELL])) * 80,
        'burst_over_headroom': setup(c2=7) + frame + send() * 60 +
        bytes([DOORBELL]),
        # ten completions consumed fill the device's list of them, then
        # a doorbell over the headroom: still the headroom error
        'headroom_after_completions': setup(c2=7) + frame +
        (send() + bytes([DOORBELL, STAMP])) * 10 + send() * 60 +
        bytes([DOORBELL]),
        'stride_256': setup(c1=4) + frame +
        wqe([(SEG_BUF, 0, 10)] * 4, flags=SOLICIT | CQ_UPDATE) +
        bytes([DOORBELL, STAMP]) * 2,
        'qp_cycle': setup() + frame + send(opc=0x83) +
        bytes([DOORBELL, QP, 0, QP, 1, QP, 2, QP, 3]) + send() +
        bytes([DOORBELL, QP, 4, DOORBELL]),
        'cq_db': setup() + frame + bytes([CQDB, 0, 0, 0, 0]) +
        (send() + bytes([DOORBELL])) * 4,
        'mac_rule': setup(c0=0x40 | 0x10) + frame + send() +
        bytes([DOORBELL, RXPOLL]),
        'rx_states': setup(c1=0x80) + frame + bytes([WQ, 1]) + send() +
        bytes([DOORBELL, RXPOLL, WQ, 0, RXPOST, 8]) + send() +
        bytes([DOORBELL, RXPOLL]),
        'rq_raw': setup() + frame + bytes([RQRAW, 0, 0, 15]) + bytes(16) +
        send() + bytes([DOORBELL, RXPOLL]),
        'sq_raw': setup() + bytes([RAW, 0, 0, 63]) + bytes(range(64)) +
        bytes([DOORBELL]),
        # LSO whose first word (here the data segment's byte count, 60)
        # gives MSS 0: the engine's LSO error, vendor error VERR_LSO, the
        # last of the list check_cqe() accepts
        'lso_mss_zero': setup() + frame + send(opc=0x80 | 0x0e) +
        bytes([DOORBELL]),
    }
    os.makedirs(seed_dir, exist_ok=True)
    for name, prog in seeds.items():
        with open(os.path.join(seed_dir, name), 'wb') as f:
            f.write(prog)


if __name__ == '__main__':
    ring(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus'))
