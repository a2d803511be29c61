#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""Integration cases of mlx4r-fwd: the forwarding application run
non-interactively on the emulated ConnectX-3 with injected faults; its JSON
report must account for every generated frame.

    fwd_app.py --app build/app/mlx4r-fwd/mlx4r-fwd <case>

Exit 0: passed, 1: failed, 77: skipped.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

EAL = ['--no-huge', '-m', '1024', '--no-pci', '-l', '0-1']

# case: (fwd options, expected outcome of the resets)
CASES = {
    'fwd_proactive_faults': (
        ['--recovery', 'proactive', '--rate', '1000000',
         '--fault', '0.5:0:fatal', '--fault', '1.2:1:reset'], 'recovered'),
    'fwd_passive_faults': (
        ['--recovery', 'passive', '--rate', '1000000',
         '--fault', '0.5:0:fatal', '--fault', '1.2:1:reset'], 'recovered'),
    'fwd_proactive_reinit_fail': (
        ['--recovery', 'proactive', '--rate', '1000000', '--attempts', '2',
         '--fault', '0.4:0:reinit-fail:5', '--fault', '0.5:0:fatal'],
        'failed'),
}


def fail(msg):
    print('FAIL: ' + msg)
    return 1


def check(rep, expect):
    errors = []
    acc = rep['accounting']
    if not acc['known']:
        errors.append('no ledger: ports not cabled to the generator')
    for s in rep['streams']:
        total = s['forwarded'] + s['refused'] + s['missed'] + s['lost']
        if total != s['offered']:
            errors.append('stream %d->%d: forwarded %d + refused %d + missed %d + lost %d = %d != offered %d'
                          % (s['from'], s['to'], s['forwarded'], s['refused'],
                             s['missed'], s['lost'], total, s['offered']))
        if s['negative_boundary']:
            errors.append('stream %d->%d: a boundary counter went backwards'
                          % (s['from'], s['to']))
        if s['offered'] == 0 or s['forwarded'] == 0:
            errors.append('stream %d->%d: no traffic' % (s['from'], s['to']))
        if s['duplicated'] != 0:
            errors.append('stream %d->%d: %d duplicates'
                          % (s['from'], s['to'], s['duplicated']))
    t = rep['totals']
    if t['forwarded'] + t['refused'] + t['missed'] + t['lost'] != t['offered']:
        errors.append('totals do not close: %s' % t)
    if not acc['closes'] or not acc['boundaries_nonnegative']:
        errors.append('report says the accounting does not close: %s' % acc)
    if not acc['witnesses_agree']:
        errors.append('checker gap count exceeds the frames not forwarded')
    mp = rep['mempool']
    if not mp['back_to_baseline']:
        errors.append('mempool not back to baseline: %s' % mp)
    for s in rep['scheduled']:
        if not s['fired'] or s['ret'] != 0:
            errors.append('scheduled %s on port %d: fired %s ret %d'
                          % (s['action'], s['port'], s['fired'], s['ret']))
    if not rep['all_resets_ended']:
        errors.append('a reset did not end')
    resets = rep['resets']
    nsched = sum(1 for s in rep['scheduled']
                 if s['action'] in ('fatal', 'reset'))
    # one reset per port of the HCA per fault or request
    if len(resets) < nsched * rep['ports']:
        errors.append('%d resets seen, expected at least %d'
                      % (len(resets), nsched * rep['ports']))
    for r in resets:
        if r['outcome'] != expect:
            errors.append('reset of port %d at %.3f s (%s): %s, expected %s'
                          % (r['port'], r['begin_s'], r['cause'],
                             r['outcome'], expect))
        elif expect == 'recovered':
            if r['traffic_gap_ms'] < 0 or r['pps_after'] <= 0:
                errors.append('port %d: no traffic after the reset at %.3f s (gap %.3f ms, %.0f pps)'
                              % (r['port'], r['begin_s'],
                                 r['traffic_gap_ms'], r['pps_after']))
    if expect == 'failed':
        for s in rep['streams']:
            if s['resetcoord']['state'] != 'FAILED' or s['resetcoord']['failed'] < 1:
                errors.append('port %d: resetcoord state %s, failed %d: expected FAILED'
                              % (s['from'], s['resetcoord']['state'],
                                 s['resetcoord']['failed']))
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--app', required=True)
    ap.add_argument('--duration', default='2')
    ap.add_argument('case', choices=sorted(CASES))
    a = ap.parse_args()
    if not os.access(a.app, os.X_OK):
        print('SKIP: %s not built' % a.app)
        return 77
    opts, expect = CASES[a.case]
    with tempfile.TemporaryDirectory() as d:
        js = os.path.join(d, 'report.json')
        cmd = [a.app] + EAL + ['--file-prefix=mlx4r_' + a.case, '--'] + \
            opts + ['--duration', a.duration, '--no-progress', '--json', js,
                    '--csv', os.path.join(d, 'timeline.csv')]
        print(' '.join(cmd))
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               timeout=120, cwd='/')
        except subprocess.TimeoutExpired as e:
            print(e.stdout or '')
            return fail('mlx4r-fwd did not end within 120 s')
        print(p.stdout)
        if not os.path.exists(js):
            return fail('no JSON report (exit %d)' % p.returncode)
        with open(js) as f:
            rep = json.load(f)
        with open(os.path.join(d, 'timeline.csv')) as f:
            if len(f.readlines()) < 5:
                return fail('timeline CSV too short')
    errors = check(rep, expect)
    if p.returncode != 0 and expect == 'recovered':
        errors.append('exit status %d' % p.returncode)
    for e in errors:
        print('FAIL: ' + e)
    if errors:
        return 1
    print('PASS: %s' % a.case)
    return 0


if __name__ == '__main__':
    sys.exit(main())
