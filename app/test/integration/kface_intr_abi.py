#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""The completion channel commands of the kernel face, byte by byte.

Run under devtools/with-emu-cx3.sh (kface_intr.py case kface_intr_abi):
plain system calls on /dev/infiniband/uverbs0 against Linux 6.1's rules
(drivers/infiniband/core/uverbs_cmd.c ib_uverbs_create_comp_channel,
create_cq, ib_uverbs_destroy_cq; rdma_core.c lookup_get_fd_uobject;
uverbs_main.c ib_uverbs_event_read). Prints one line per check; exits 1
on the first failure.
"""

import ctypes
import errno
import fcntl
import os
import struct
import sys

NODE = "/dev/infiniband/uverbs0"
GET_CONTEXT, CREATE_COMP_CHANNEL, CREATE_CQ, DESTROY_CQ = 0, 17, 18, 20


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
    return struct.pack("<IHH", cmd, (8 + len(body)) // 4, out_words) + body


def main():
    fd = os.open(NODE, os.O_RDWR | os.O_CLOEXEC)
    resp = ctypes.create_string_buffer(256)
    addr = ctypes.addressof(resp)
    fails(lambda: os.write(fd, legacy(CREATE_COMP_CHANNEL,
                                      struct.pack("<Q", addr), 1)),
          errno.EINVAL, "CREATE_COMP_CHANNEL before GET_CONTEXT (no context)")
    os.write(fd, legacy(GET_CONTEXT, struct.pack("<Q", addr), 6))
    async_fd = struct.unpack_from("<I", resp.raw)[0]

    n = os.write(fd, legacy(CREATE_COMP_CHANNEL, struct.pack("<Q", addr), 1))
    check(n == 16, "CREATE_COMP_CHANNEL consumes the whole write")
    ch = struct.unpack_from("<I", resp.raw)[0]
    check(ch > 2 and ch != async_fd, "a new fd (%d)" % ch)
    check(fcntl.fcntl(ch, fcntl.F_GETFD) & fcntl.FD_CLOEXEC,
          "close-on-exec, as get_unused_fd_flags(O_CLOEXEC)")
    check(not fcntl.fcntl(ch, fcntl.F_GETFL) & os.O_NONBLOCK,
          "blocking until the program says otherwise")
    fcntl.fcntl(ch, fcntl.F_SETFL, os.O_NONBLOCK)
    fails(lambda: os.read(ch, 16), errno.EAGAIN,
          "an empty non-blocking read")
    fails(lambda: os.read(ch, 4), errno.EINVAL,
          "a read shorter than one ib_uverbs_comp_event_desc (stricter: "
          "the kernel says so once an event waits)")

    # CREATE_CQ: core request 32 bytes, mlx4's 16 (buf_addr, db_addr);
    # responses 8 + 8 bytes
    buf = ctypes.create_string_buffer(8 * 32 + 4096)
    dbr = ctypes.create_string_buffer(64)
    bufp = (ctypes.addressof(buf) + 4095) & ~4095
    drv = struct.pack("<QQ", bufp, ctypes.addressof(dbr))

    def create_cq(vector, channel, handle=0x1234):
        body = struct.pack("<QQIIiI", addr, handle, 7, vector, channel, 0) + drv
        os.write(fd, legacy(CREATE_CQ, body, 4))
        return struct.unpack_from("<II", resp.raw)

    fails(lambda: create_cq(1, ch), errno.EINVAL,
          "CREATE_CQ with comp_vector 1 of num_comp_vectors 1")
    fails(lambda: create_cq(0, async_fd), errno.EBADF,
          "CREATE_CQ on an fd that is not a completion channel")
    fails(lambda: create_cq(0, 1000), errno.EBADF,
          "CREATE_CQ on an fd that is not open")
    handle, cqe = create_cq(0, ch)
    check(cqe >= 7, "a CQ on the channel (%d entries)" % cqe)
    fails(lambda: os.read(ch, 16), errno.EAGAIN,
          "no event: nothing armed, nothing completed")
    os.write(fd, legacy(DESTROY_CQ, struct.pack("<QII", addr, handle, 0), 2))
    reported, async_reported = struct.unpack_from("<II", resp.raw)
    check(reported == 0 and async_reported == 0,
          "DESTROY_CQ answers the events read: none")
    os.close(ch)
    handle, cqe = create_cq(0, -1)
    check(cqe >= 7, "a CQ without a channel still works")
    os.close(fd)
    print("kface_intr_abi: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
