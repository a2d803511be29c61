# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""The command line every integration script shares: run_cases().

A script names its cases in a table (name: function), its options in
another ((flag, argparse keywords), ...), and ends with
``sys.exit(run_cases(CASES, options=..., make_env=Env, doc=__doc__))``.
Exit 0 (pass), 1 (fail) or 77 (skipped, with the reason), as meson test
reads them.
"""

import argparse
import os
import re

SKIP = 77

# Options every script of run_cases() takes, before its own: meson.build
# gives them to each case (app/test/integration/meson.build, casemain_args).
SHARED_OPTIONS = (
    # Debian's own net_mlx4, the oracle of the emulated device: the file
    # its runtime package installs in the directory EAL loads PMDs from
    # (RTE_EAL_PMD_PATH of the DPDK the tree is built against).
    ("--upstream-pmd", dict(default=None,
                            help="upstream net_mlx4 in EAL's PMD directory")),
)


class CaseFailed(Exception):
    pass


class Skip(Exception):
    pass


def need_upstream_pmd(args):
    """The path of Debian's net_mlx4 (--upstream-pmd), which EAL loads on
    its own from its PMD directory; Skip, saying which file and package,
    when it is not installed or no path was given."""
    path = args.upstream_pmd
    if not path:
        raise Skip("no --upstream-pmd (Debian's net_mlx4) given")
    if not os.path.exists(path):
        # librte_net_mlx4.so.<major> comes in librte-net-mlx4-<major>
        m = re.search(r"\.so\.(\d+)$", path)
        raise Skip("Debian's net_mlx4 is not installed (%s%s)" % (
            path, "; package librte-net-mlx4-" + m.group(1) if m else ""))
    return path


def run_cases(cases, argv=None, options=(), make_env=None, doc=None):
    """Run the case argv names (sys.argv[1:] by default) and return its
    exit code. The case gets make_env(args, case), or the parsed args
    without make_env; an environment with a close() is closed after the
    case, whatever its end, its case_failed set first (True unless the
    case passed or skipped). A case ends:
    - raising Skip: "SKIP: <reason>", 77;
    - raising CaseFailed: "FAIL: <case>: <what>", 1;
    - returning SKIP (it said why): 77;
    - returning another non-zero code (it said why): that code;
    - otherwise: "PASS: <case>", 0."""
    ap = argparse.ArgumentParser(description=doc)
    for flag, kwargs in SHARED_OPTIONS + tuple(options):
        ap.add_argument(flag, **kwargs)
    ap.add_argument("case", choices=sorted(cases))
    args = ap.parse_args(argv)
    env = make_env(args, args.case) if make_env else args
    failed = True  # until the case returns or skips
    try:
        ret = cases[args.case](env)
        failed = bool(ret) and ret != SKIP
    except Skip as e:
        failed = False
        print("SKIP: %s" % e)
        return SKIP
    except CaseFailed as e:
        print("FAIL: %s: %s" % (args.case, e))
        return 1
    finally:
        close = getattr(env, "close", None)
        if close is not None:
            env.case_failed = failed
            close()
    if ret:
        return ret
    print("PASS: " + args.case)
    return 0
