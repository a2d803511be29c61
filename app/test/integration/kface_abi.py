#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""The uverbs ABI of the kernel face, byte by byte, as Linux checks it.

Run under devtools/with-emu-cx3.sh (kface.py case kface_uverbs_abi): it
opens /dev/infiniband/uverbs0 with plain system calls and checks what the
preloaded libmlx4r_kface.so answers against Linux 6.1's rules
(drivers/infiniband/core/uverbs_main.c ib_uverbs_write/verify_hdr,
uverbs_cmd.c, drivers/infiniband/hw/mlx4/main.c). Prints one line per
check; exits 1 on the first failure.
"""

import ctypes
import errno
import fcntl
import mmap
import os
import stat
import struct
import sys

NODE = "/dev/infiniband/uverbs0"
GET_CONTEXT, QUERY_DEVICE, QUERY_PORT, ALLOC_PD, DEALLOC_PD = 0, 1, 2, 3, 4
EXTENDED = 0x80000000


def check(cond, what):
    if not cond:
        print("FAIL: " + what)
        sys.exit(1)
    print("ok: " + what)


def fails(fn, err, what):
    try:
        fn()
    except OSError as e:
        check(e.errno == err, "%s: %s (got %s)" % (what, errno.errorcode[err],
                                                  errno.errorcode.get(e.errno, e.errno)))
        return
    check(False, "%s: %s (it succeeded)" % (what, errno.errorcode[err]))


def legacy(cmd, body, out_words):
    """a legacy command: header (command, in_words, out_words) + body"""
    data = struct.pack("<IHH", cmd, (8 + len(body)) // 4, out_words) + body
    return data


def main():
    st = os.stat(NODE)
    check(stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(231, 192),
          "the node is character device 231:192 (sysfs 'dev')")
    fd = os.open(NODE, os.O_RDWR | os.O_CLOEXEC)
    fst = os.fstat(fd)
    check(stat.S_ISCHR(fst.st_mode) and fst.st_rdev == os.makedev(231, 192),
          "fstat of the open file says the same (util/open_cdev.c)")
    fails(lambda: fcntl.ioctl(fd, 0xc0181b01, bytes(24)), errno.ENOTTY,
          "RDMA_VERBS_IOCTL: no ioctl interface, so rdma-core writes")
    fails(lambda: os.write(fd, bytes(4)), errno.EINVAL,
          "a write shorter than the header")
    fails(lambda: os.write(fd, struct.pack("<IHH", 45, 2, 0)), errno.ENOSYS,
          "an unknown command")
    fails(lambda: os.write(fd, struct.pack("<IHH", 0x10000, 2, 0)), errno.EINVAL,
          "command bits outside COMMAND_MASK and FLAG_EXTENDED")
    resp = ctypes.create_string_buffer(256)
    addr = ctypes.addressof(resp)
    fails(lambda: os.write(fd, struct.pack("<IHHQQ", QUERY_DEVICE, 3, 0, addr, 0)),
          errno.EINVAL, "in_words * 4 differs from the write's size")
    fails(lambda: mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_WRITE, offset=0),
          errno.EINVAL, "mmap before GET_CONTEXT")

    # GET_CONTEXT: core response 8 bytes, mlx4's 16 (ABI 4)
    n = os.write(fd, legacy(GET_CONTEXT, struct.pack("<Q", addr), 6))
    check(n == 16, "GET_CONTEXT consumes the whole write")
    async_fd, vectors, dev_caps, qp_tab, bf_size, bf_pp, cqe_size = \
        struct.unpack_from("<IIIIHHI", resp.raw)
    check(async_fd > 2 and vectors == 1, "an async event file and one vector")
    check(qp_tab == 1 << 17 and bf_size == 512 and cqe_size == 32,
          "mlx4_ib_alloc_ucontext's answer: 128 K QPs, 512-byte BlueFlame, 32-byte CQEs")
    fails(lambda: os.write(fd, legacy(GET_CONTEXT, struct.pack("<Q", addr), 6)),
          errno.EINVAL, "a second GET_CONTEXT on the file")

    # QUERY_DEVICE: a response of 176 bytes must fit in out_words
    fails(lambda: os.write(fd, legacy(QUERY_DEVICE, struct.pack("<QQ", addr, 0), 4)),
          errno.ENOSPC, "QUERY_DEVICE with no room for its response")
    os.write(fd, legacy(QUERY_DEVICE, struct.pack("<QQ", addr, 0), 176 // 4))
    fw, guid, img, mr_sz, pgcap, vendor, part = struct.unpack_from("<QQQQQII", resp.raw)
    check(vendor == 0x02c9 and part == 4099, "QUERY_DEVICE: vendor 0x02c9, part 4099")
    check(fw == (2 << 32 | 42 << 16 | 5000), "firmware 2.42.5000 encoded as mlx4 does")

    # QUERY_PORT
    fails(lambda: os.write(fd, legacy(QUERY_PORT, struct.pack("<QB7x", addr, 3), 10)),
          errno.EINVAL, "QUERY_PORT of port 3 of a two-port card")
    os.write(fd, legacy(QUERY_PORT, struct.pack("<QB7x", addr, 1), 10))
    check(resp.raw[37] == 2, "QUERY_PORT: link layer Ethernet")

    # PD handles
    fails(lambda: os.write(fd, legacy(DEALLOC_PD, struct.pack("<I4x", 77), 0)),
          errno.EINVAL, "DEALLOC_PD of a handle that is no PD")
    os.write(fd, legacy(ALLOC_PD, struct.pack("<Q", addr), 4))
    pd, pdn = struct.unpack_from("<II", resp.raw)
    check(pd > 0, "ALLOC_PD gives a handle (and mlx4's PD number)")
    os.write(fd, legacy(DEALLOC_PD, struct.pack("<I4x", pd), 0))
    fails(lambda: os.write(fd, legacy(DEALLOC_PD, struct.pack("<I4x", pd), 0)),
          errno.EINVAL, "DEALLOC_PD twice")

    # extended header: (in_words + provider_in_words) * 8 == size - 24
    ex = struct.pack("<IHH", EXTENDED | QUERY_DEVICE, 1, 0) + \
        struct.pack("<QHHI", 0, 0, 0, 0) + bytes(16)
    fails(lambda: os.write(fd, ex), errno.EINVAL,
          "an extended command whose sizes disagree")
    ex = struct.pack("<IHH", EXTENDED | QUERY_DEVICE, 1, 0) + \
        struct.pack("<QHHI", addr, 0, 0, 0) + bytes(8)
    fails(lambda: os.write(fd, ex), errno.EINVAL,
          "an extended command with a response and no room for it")
    ex = struct.pack("<IHH", EXTENDED | QUERY_DEVICE, 1, 0) + \
        struct.pack("<QHHI", 0, 0, 0, 1) + bytes(8)
    fails(lambda: os.write(fd, ex), errno.EINVAL,
          "an extended command with cmd_hdr_reserved set")

    # mmap: the UAR at page 0, BlueFlame at page 1, nothing else
    m = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_WRITE | mmap.PROT_READ, offset=0)
    m.close()
    m = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_WRITE | mmap.PROT_READ, offset=4096)
    m.close()
    fails(lambda: mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_WRITE, offset=3 * 4096),
          errno.EINVAL, "mmap of page 3 (no clock page offered)")
    fails(lambda: mmap.mmap(fd, 8192, mmap.MAP_SHARED, mmap.PROT_WRITE, offset=0),
          errno.EINVAL, "mmap of two pages")
    fails(lambda: os.read(fd, 16), errno.EINVAL, "read of the command file")

    # the async event file
    fails(lambda: os.read(async_fd, 8), errno.EINVAL,
          "a read of the async file shorter than one event")
    os.set_blocking(async_fd, False)
    fails(lambda: os.read(async_fd, 16), errno.EAGAIN,
          "a non-blocking read of the async file with no event")
    os.close(async_fd)
    os.close(fd)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
