#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""Side by side on the emulated ConnectX-3's kernel face: Debian's stock
upstream net_mlx4 and mlx4r's backend=verbs, in one run of
devtools/with-emu-cx3.sh (the same sysfs tree, netdevs and device
configuration; each testpmd process has its own instance of the model).

    devtools/bench-kface.py [--seconds S] [--build DIR] [--fatal]

For each driver: stock dpdk-testpmd, io forwarding on one lcore, two ports
cabled to the model's generator; the Rx rate of both ports over the last
S seconds (testpmd's 'show port stats' throughput). With --fatal, then a
catastrophic error: the events each driver raises and how long until it
forwards again. Prints a table (reStructuredText, for
doc/guides/nics/mlx4r_perf.rst). --no-huge: the figures are the emulated
device's, on this machine's cores, not a card's.
"""

import argparse
import os
import re
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def inner_script(args, plugin_dir):
    """The shell the wrapper runs: both testpmd processes, one after the
    other, fed with paced commands."""
    s = args.seconds
    feed = ('{ sleep 6; echo start; sleep 1; echo "show port stats all"; '
            'sleep %d; echo "show port stats all"; ' % s)
    if args.fatal:
        feed += ('$CTL fatal 100 >&2; T0=$(date +%%s%%N); sleep 3; '
                 'echo "show port stats all"; sleep 1; echo "show port stats all"; ')
    feed += 'echo stop; echo quit; }'
    eal = "-l 0-1 --no-huge -m 1024 --log-level=pmd.net.mlx4r*:notice"
    tp = "-- -i --total-num-mbufs=16384 --no-mlockall --auto-start"
    up = "dpdk-testpmd %s -a $MLX4R_EMU_PCI --file-prefix bench_up %s" % (eal, tp)
    mr = ("dpdk-testpmd %s --no-pci --file-prefix bench_mr -d librte_net_mlx4r.so "
          "--vdev net_mlx4r0,backend=verbs,ibdev=mlx4_0,ports=2 %s" % (eal, tp))
    ctl = "python3 %s" % os.path.join(TOP, "devtools", "mlx4r-emu-ctl.py")
    return ("export CTL='%s'; cd /; echo '=== upstream'; %s | %s 2>&1; "
            "echo '=== mlx4r'; %s | LD_LIBRARY_PATH=%s %s 2>&1; echo '=== end'"
            % (ctl, feed, up, feed, plugin_dir, mr))


def rates(block):
    """Rx-pps of both ports, per 'show port stats all', in order."""
    v = [int(x) for x in re.findall(r"Rx-pps:\s+(\d+)", block)]
    return [v[i] + v[i + 1] for i in range(0, len(v) - 1, 2)]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--fatal", action="store_true")
    args = ap.parse_args()
    # absolute: the inner script runs from / (EAL refuses -d plugins under
    # a world-writable directory, so the plugin comes by LD_LIBRARY_PATH)
    args.build = os.path.abspath(args.build)
    plugin_dir = os.path.join(args.build, "drivers", "net", "mlx4r")
    lib = os.path.join(plugin_dir, "emu", "kface", "libmlx4r_kface.so")
    cmd = [os.path.join(TOP, "devtools", "with-emu-cx3.sh"), "--lib", lib,
           "--", "bash", "-c", inner_script(args, plugin_dir)]
    t0 = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    up = out.split("=== upstream")[1].split("=== mlx4r")[0] if "=== upstream" in out else ""
    mr = out.split("=== mlx4r")[1].split("=== end")[0] if "=== mlx4r" in out else ""
    res = []
    for name, block in (("upstream net_mlx4", up), ("mlx4r backend=verbs", mr)):
        r = rates(block)
        fwd = r[1] if len(r) > 1 else 0
        line = [name, "%.3f" % (fwd / 1e6)]
        if args.fatal:
            ev = sorted(set(re.findall(r"Port \d+: (device removal|error recovering|"
                                       r"error recovery successful|reset) event", block)))
            after = r[-1] if len(r) > 3 else 0
            line += [", ".join(ev) or "none", "%.3f" % (after / 1e6)]
        res.append(line)
    head = ["driver", "io-fwd Mpps (2 ports, 1 lcore)"]
    if args.fatal:
        head += ["events on a catastrophic error", "Mpps 3-4 s after it"]
    w = [max(len(str(r[i])) for r in [head] + res) for i in range(len(head))]
    sep = "  ".join("=" * x for x in w)
    print(sep)
    print("  ".join(str(h).ljust(x) for h, x in zip(head, w)))
    print(sep)
    for r in res:
        print("  ".join(str(c).ljust(x) for c, x in zip(r, w)))
    print(sep)
    print("(%d s, %s)" % (time.monotonic() - t0, "--no-huge, " + os.uname().nodename))
    return 0 if all(float(r[1]) > 0 for r in res) else 1


if __name__ == "__main__":
    sys.exit(main())
