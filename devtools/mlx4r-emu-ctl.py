#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""Control the emulated ConnectX-3 of devtools/with-emu-cx3.sh from outside
the program that uses it.

    mlx4r-emu-ctl.py [--socket PATH] fatal [DETECT_MS]
    mlx4r-emu-ctl.py [--socket PATH] reappear MS
    mlx4r-emu-ctl.py [--socket PATH] slow MS COUNT
    mlx4r-emu-ctl.py [--socket PATH] link PORT up|down
    mlx4r-emu-ctl.py [--socket PATH] qp_error PORT
    mlx4r-emu-ctl.py [--socket PATH] status
    mlx4r-emu-ctl.py [--socket PATH] stats PORT
    mlx4r-emu-ctl.py [--socket PATH] netdev PORT
    mlx4r-emu-ctl.py [--socket PATH] thread
    mlx4r-emu-ctl.py [--socket PATH] errors

fatal: a catastrophic error, as Linux mlx4_core's catas.c goes through it:
the chip stops, DETECT_MS later (default 100) IBV_EVENT_DEVICE_FATAL, the
device unregistered (contexts disassociated, commands EIO, the device not
listed), then back under the same name (reappear MS: that much later
after the next error, as a slow re-creation). slow: the next COUNT
commands that create or modify a CQ, QP or WQ take MS each, then succeed
(a firmware that takes its time). qp_error: the oldest send QP of the
port to the error state, as a local work queue catastrophic error
(IBV_EVENT_QP_FATAL on its context; answers its QP number). stats: the counters of a
port (frames into receive queues, dropped, taken by the netdev and refused
by its TAP, sent, lost, sent by the netdev and lost, error CQEs of
its send queues). errors: the CQs that overran (each is in error from
then on). netdev: the port's
netdev as the device took it from its TAP interface (up, MTU, multicast
groups, promiscuous, all-multicast). The socket is MLX4R_KFACE_CTL
(set in the wrapped command's environment), or --socket. Prints the
device's answer; exits 1 if it is an error, 2 if nobody answers. status:
the incarnation, the catastrophic phase and the contexts open; thread: the
queues the device thread watches and how many times it waited, idle, for
one (20 ms each).
"""

import argparse
import os
import socket
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--socket", default=os.environ.get("MLX4R_KFACE_CTL"))
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("command", nargs="+")
    args = ap.parse_args()
    if not args.socket:
        print("mlx4r-emu-ctl: no socket: run under devtools/with-emu-cx3.sh "
              "or give --socket", file=sys.stderr)
        return 2
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    # the answer comes back to a path beside the device's socket: an
    # abstract address would not be reachable from the wrapper's private
    # network namespace (abstract sockets belong to one namespace)
    me = os.path.join(os.path.dirname(os.path.abspath(args.socket)),
                      "ctl-client-%d.sock" % os.getpid())
    try:
        s.bind(me)
        s.settimeout(args.timeout)
        s.sendto(" ".join(args.command).encode(), args.socket)
        reply = s.recv(512).decode()
    except (OSError, socket.timeout) as e:
        print("mlx4r-emu-ctl: %s: %s (is a program using the device?)" %
              (args.socket, e), file=sys.stderr)
        return 2
    finally:
        s.close()
        try:
            os.unlink(me)
        except OSError:
            pass
    print(reply)
    return 1 if reply.startswith("error") else 0


if __name__ == "__main__":
    sys.exit(main())
