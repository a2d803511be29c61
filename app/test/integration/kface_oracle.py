#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""Integration cases: Debian's stock net_mlx4 as the oracle of the emulated
ConnectX-3 behind the kernel interface.

Where upstream's driver fails on the emulated device, the device is wrong
until shown otherwise. Each case runs stock testpmd under
devtools/with-emu-cx3.sh (the harness of kface.py) and asks the device,
through its control socket, what it counted. Exit 0 (pass), 1 (fail) or 77
(skipped: the machine lacks Debian's net_mlx4).
"""

import re
import sys

from kface import (OPTIONS, Env, expect, expect_in, interact, need_upstream_pmd,
                   run_cases, testpmd_mlx4r, testpmd_upstream, fwd_stats)

# Traffic time of a case: a few seconds at full rate, 10 s at most.
RUN = 2.5


def tx_pps(out):
    """Tx-pps of the last 'show port stats all', per port, in order."""
    return [int(v) for v in re.findall(r"Tx-pps:\s+(\d+)", out)][-2:]


def ctl_counters(out, cmd):
    """The counters of the last '[ctl CMD: ...]' answer as a dict."""
    m = re.findall(r"\[ctl %s: ([^\]]*)\]" % re.escape(cmd), out)
    expect(m, "the device answered 'ctl %s'" % cmd)
    return {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", m[-1])}


def txonly_full_rate(env, argv):
    """txonly on both ports of a cross-connected card at full rate; checks
    exit 0, TX on every port, and that the device model counted no error
    CQE on either port's send side and no CQ overrun."""
    # testpmd's pps is over the time since the previous 'show port stats'
    steps = [("start", 0.5), ("show port stats all", RUN),
             ("show port stats all", 0),
             ("!ctl stats 1", 0), ("!ctl stats 2", 0), ("!ctl errors", 0),
             ("stop", 0), ("quit", 0)]
    rc, out = interact(env, argv, steps, timeout=60,
                       wrapper=["--wire", "xconnect"])
    expect("Segmentation fault" not in out, "testpmd did not crash")
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    # both rules' log lines name it (mlx4r_emu_engine.c emu_tx_run)
    expect("prefetch headroom" not in out,
           "the device found no prefetch headroom rule broken")
    rates = tx_pps(out)
    expect(len(rates) == 2 and all(r > 0 for r in rates),
           "Tx-pps > 0 on both ports, got %r" % rates)
    st = fwd_stats(out)
    expect(len(st) == 2 and all(tx > 0 for _, tx in st.values()),
           "TX-packets > 0 on both ports, got %r" % st)
    for port in (1, 2):
        c = ctl_counters(out, "stats %d" % port)
        expect("tx_errors" in c, "the device reports tx_errors")
        expect(c["tx"] > 0, "port %d: the device sent frames (%r)" % (port, c))
        expect(c["tx_errors"] == 0,
               "port %d: no error CQE on the send side (QP error), got %d"
               % (port, c["tx_errors"]))
    expect(ctl_counters(out, "errors").get("cq_overruns") == 0,
           "no CQ overran")
    return out


def case_kface_oracle_upstream_txonly(env):
    """Debian's net_mlx4, testpmd txonly at full rate (issue 11): the kface
    device thread walks the SQ while the driver, on its own core, polls the
    CQEs of that walk, frees and posts again; the device must count what
    the driver can have outstanding, not what one walk took."""
    need_upstream_pmd(env.args)
    out = txonly_full_rate(env, testpmd_upstream(
        env, "oracle_txonly", ["--forward-mode=txonly", "--flow-isolate-all"]))
    expect_in(out, "Probe PCI driver: net_mlx4 (15b3:1003) device: 0000:82:00.0")


def case_kface_oracle_verbs_txonly(env):
    """mlx4r backend=verbs (rdma-core's libmlx4) in the same mode."""
    out = txonly_full_rate(env, testpmd_mlx4r(
        env, "oracle_verbs_txonly", extra=["--forward-mode=txonly"]))
    expect_in(out, "net_mlx4r0: 2 port(s) on the verbs backend")


CASES = {name[5:]: fn for name, fn in globals().items()
         if name.startswith("case_")}


def main():
    return run_cases(CASES, options=OPTIONS, make_env=Env, doc=__doc__)


if __name__ == "__main__":
    sys.exit(main())
