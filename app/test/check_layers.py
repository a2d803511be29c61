#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors

"""The driver's files call each other only downwards.

Reads the symbols of the driver's objects (``nm`` on the static archive
of librte_net_mlx4r) and checks that every reference from one file to a
symbol defined in another goes to a strictly lower layer of LAYERS below:
no call (or data) circle among the driver's files, and a declared place
for every file. The emulated device (``emu/``) counts as one file.

    check_layers.py <librte_net_mlx4r.a> [nm]

Exit 0 when the layering holds, 1 with one line per offending reference.
A new file of the driver must be given its layer here.
"""

import collections
import re
import subprocess
import sys

# Bottom first. A file may use what is defined in a lower layer only.
LAYERS = [
    # leaves: log types, the rdma-core backend loader, the emulated device,
    # the table of ports by port id (public calls against close)
    ['mlx4r_log', 'mlx4r_verbs_load', 'emu', 'mlx4r_registry'],
    # fault injection into the emulated device; memory registration; the
    # quiescence proof (bar, membarrier, drain, unbar)
    # Rx interrupts (channels, arming, the stable fds)
    ['mlx4r_fault', 'mlx4r_mr', 'mlx4r_quiesce', 'mlx4r_intr'],
    # the multi-process messages of the lower layers (a secondary's queue
    # in error, a reset's new context) and a secondary's UAR maps
    ['mlx4r_mp_link'],
    # devargs (fault schedule syntax); the fast path (lkeys)
    ['mlx4r_devargs', 'mlx4r_rxtx'],
    # queue life cycles, steering
    ['mlx4r_rxq', 'mlx4r_flow'],
    ['mlx4r_txq'],
    # rte_flow: the application's rules (over steering's RSS contexts)
    ['mlx4r_flow_api'],
    # queues in error repaired without a device reset
    ['mlx4r_repair'],
    # the device core
    ['mlx4r_core'],
    # a port's control operations (ungated)
    ['mlx4r_ethdev'],
    # the reset machine: phases, control thread, events, close vs reset
    ['mlx4r_reset'],
    # the gated ethdev operations
    ['mlx4r_gate'],
    # telemetry on the public calls, probe and registration
    # public calls; statistics for secondary processes (multi-process)
    ['mlx4r_pmd_api', 'mlx4r_mp'],
    ['mlx4r_telemetry'],
    ['mlx4r_probe'],
]

MEMBER = re.compile(r'([^/:]+)\.c\.o:')


def unit(member):
    """Layer unit of an object file name (without .c.o)."""
    return 'emu' if member.startswith('emu_') else member


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    nm = sys.argv[2] if len(sys.argv) > 2 else 'nm'
    out = subprocess.run([nm, '-A', sys.argv[1]], capture_output=True,
                         text=True, check=True).stdout
    rank = {f: i for i, layer in enumerate(LAYERS) for f in layer}
    defined = {}
    used = collections.defaultdict(set)
    units = set()
    for line in out.splitlines():
        m = MEMBER.search(line)
        if m is None:
            continue
        u = unit(m.group(1))
        units.add(u)
        fields = line[m.end():].split()
        if len(fields) == 2 and fields[0] == 'U':
            used[u].add(fields[1])
        elif len(fields) == 3 and fields[1] in 'TDBRVW':
            defined[fields[2]] = u
    bad = []
    for u in sorted(units - set(rank)):
        bad.append('%s: not in LAYERS of %s' % (u, sys.argv[0]))
    edges = collections.defaultdict(set)
    for u, syms in used.items():
        for s in syms:
            d = defined.get(s)
            if d is not None and d != u:
                edges[(u, d)].add(s)
    for (u, d), syms in sorted(edges.items()):
        if u in rank and d in rank and rank[d] >= rank[u]:
            bad.append('%s uses %s of %s (layer %d -> %d: not below)' %
                       (u, ', '.join(sorted(syms)), d, rank[u], rank[d]))
    for line in bad:
        print(line)
    if not bad:
        print('%d files, %d cross-file references, all downwards' %
              (len(units), len(edges)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
