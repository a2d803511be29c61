#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""Integration cases: mlx4r installed, as a DPDK user gets it.

  install_destdir    meson install into a DESTDIR; the layout DPDK's own
                     PMDs have (plugin in EAL's PMD directory, links in the
                     library directory, the rdma-core backend out of the
                     PMD directory, headers in DPDK's include directory),
                     the pkg-config files, dpdk-pmdinfo.py's view of the
                     plugin, and stock testpmd loading the installed PMD
                     directory with -d <dir>, as EAL loads its own.
  install_autoload   the same DESTDIR copied into a throwaway root (see
                     throwaway_root.py): stock testpmd forwards on
                     net_mlx4r0 with no -d at all, and an application built
                     only with pkg-config --cflags --libs of our .pc files
                     calls the driver's API and the library.
  deb_packages       dpkg-buildpackage -b -us -uc of a copy of the sources,
                     lintian, then in a throwaway root: dpkg -i of the
                     packages, testpmd with no -d, the pkg-config
                     application, mlx4r-fwd, dpkg --purge.

Nothing is installed on this machine: the throwaway root takes every
write. Each case exits 0 (pass), 1 (fail) or 77 (skipped, saying why).
The checks that run inside the throwaway root are this same script, run
there with --inside.
"""

import argparse
import glob
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time

import throwaway_root
# testpmd typed at its prompts, as stock_tools.py's cases type it
from casemain import SKIP, CaseFailed, Skip
from stock_tools import TESTPMD_PROMPT, run_tool

DRIVER = "librte_net_mlx4r"
GLUE = "librte_net_mlx4r_verbs"
EAL = ["--no-huge", "-m", "1024", "--no-pci"]
# The throwaway root gets a clean environment: nothing of this one's
# LD_LIBRARY_PATH, PKG_CONFIG_PATH, pyenv or virtualenv.
ROOT_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "LANG": "C.UTF-8",
    "DEBIAN_FRONTEND": "noninteractive",
}
INSIDE_DIR = "/mlx4r-test"
# Debian package names: the driver's follows its soname (Debian policy
# 8.1), librte_net_mlx4r.so.<major>; the others are fixed.
DEB_DEV = "mlx4r-dev"
DEB_TOOLS = "mlx4r-tools"
DEB_RESETCOORD = "libresetcoord0"


def expect(cond, what):
    if not cond:
        raise CaseFailed(what)
    print("ok: " + what, flush=True)


def run(argv, timeout=300, env=None, cwd=None, stdin_lines=(), delay=0.0,
        quiet=False):
    """Run argv; returns (exit code, combined output). Lines are written to
    its stdin one by one, with a pause before each."""
    print("$ " + " ".join(argv), flush=True)
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, env=env,
                         cwd=cwd or "/")
    expired = threading.Event()

    def feed():
        try:
            for line in stdin_lines:
                if delay:
                    time.sleep(delay)
                p.stdin.write(line + "\n")
                p.stdin.flush()
            p.stdin.close()
        except (BrokenPipeError, ValueError):
            pass  # the program ended early; its output says why

    def kill():
        expired.set()
        p.kill()

    writer = threading.Thread(target=feed, daemon=True)
    watchdog = threading.Timer(timeout, kill)
    writer.start()
    watchdog.start()
    out = p.stdout.read()
    p.wait()
    watchdog.cancel()
    writer.join(1)
    if not quiet:
        print(out, flush=True)
    if expired.is_set():
        raise CaseFailed("%s timed out after %d s" % (argv[0], timeout))
    return p.returncode, out


# -- what the build says and what the installed DPDK says -------------------

class Layout:
    """Where meson install puts each part, from the build's options, and
    where EAL looks for PMDs, from the installed DPDK's rte_build_config.h
    (not from our meson.build: the test reads it on its own)."""

    def __init__(self, build, debian=False):
        rc, out = run(["meson", "introspect", "--buildoptions", build], quiet=True)
        if rc != 0:
            raise CaseFailed("meson introspect --buildoptions failed:\n" + out)
        opts = {o["name"]: o["value"] for o in json.loads(out)}
        if debian:
            # what dh_auto_configure passes to meson (and debian/rules
            # leaves pmd_dir at its default)
            rc, arch = run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], quiet=True)
            opts.update(prefix="/usr", libdir="lib/" + arch.strip(), includedir="include",
                        bindir="bin", mandir="share/man", pmd_dir="")
        self.prefix = opts["prefix"]

        def under_prefix(p):
            return os.path.normpath(os.path.join(self.prefix, p))

        self.libdir = under_prefix(opts["libdir"])
        self.includedir = os.path.join(under_prefix(opts["includedir"]), "dpdk")
        self.bindir = under_prefix(opts["bindir"])
        self.mandir = under_prefix(opts["mandir"])
        self.eal_pmd_path = eal_pmd_path()
        name = os.path.basename(self.eal_pmd_path)
        m = re.fullmatch(r"pmds-(\d+)\.(\d+)", name)
        if m is None:
            raise CaseFailed("EAL's PMD directory %s is not .../pmds-<ABI>" % self.eal_pmd_path)
        self.abi = "%s.%s" % m.groups()
        self.major = m.group(1)
        self.pmd_dir = (under_prefix(opts["pmd_dir"]) if opts["pmd_dir"]
                        else self.eal_pmd_path)
        self.glue_dir = self.pmd_dir + "-glue"
        # debian/rules builds it (-Dverbs=enabled)
        self.verbs_built = debian or os.path.exists(os.path.join(
            build, "drivers", "net", "mlx4r", "%s.so.%s" % (GLUE, self.abi)))

    def plugin(self):
        return os.path.join(self.pmd_dir, "%s.so.%s" % (DRIVER, self.abi))


def eal_pmd_path():
    rc, out = run(["pkg-config", "--cflags-only-I", "libdpdk"], quiet=True)
    if rc != 0:
        raise CaseFailed("pkg-config libdpdk: " + out)
    for flag in out.split():
        conf = os.path.join(flag[2:], "rte_build_config.h")
        if flag.startswith("-I") and os.path.exists(conf):
            with open(conf) as f:
                m = re.search(r'#define RTE_EAL_PMD_PATH "([^"]*)"', f.read())
            if m:
                return m.group(1)
    raise CaseFailed("no RTE_EAL_PMD_PATH in the installed DPDK's rte_build_config.h")


def in_tree(root, path):
    return os.path.join(root, path.lstrip("/"))


def resolve_in(root, path, depth=0):
    """The file a path leads to inside tree root, following links as the
    system would once root is installed at /."""
    if depth > 16:
        raise CaseFailed("link loop at %s" % path)
    full = in_tree(root, path)
    if os.path.islink(full):
        target = os.readlink(full)
        if not target.startswith("/"):
            target = os.path.normpath(os.path.join(os.path.dirname(path), target))
        return resolve_in(root, target, depth + 1)
    return path


def soname(path):
    rc, out = run(["readelf", "-d", path], quiet=True)
    m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", out)
    return m.group(1) if m else None


def meson_install(args, destdir):
    shutil.rmtree(destdir, ignore_errors=True)
    rc, out = run(["meson", "install", "-C", args.build, "--destdir", destdir,
                   "--no-rebuild", "--quiet"], timeout=120)
    expect(rc == 0, "meson install --destdir succeeds")


def world_writable_parent(path):
    p = os.path.abspath(path)
    while True:
        if os.stat(p).st_mode & stat.S_IWOTH:
            return p
        if p == "/":
            return None
        p = os.path.dirname(p)


def scratch_dir(args, case):
    """A directory of this case's own under the build directory (not /tmp:
    EAL refuses a -d path with a world-writable parent)."""
    d = os.path.join(args.build, "app", "test", "integration", "scratch-" + case)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


# -- checks that hold wherever the tree is ---------------------------------

def check_tree(lay, root, src):
    """The installed files under root, laid out as meson install or the
    packages put them."""
    plugin = lay.plugin()
    p = in_tree(root, plugin)
    expect(os.path.isfile(p) and not os.path.islink(p),
           "the plugin is a file in the PMD directory: %s" % plugin)
    expect(soname(p) == "%s.so.%s" % (DRIVER, lay.major),
           "its soname is %s.so.%s" % (DRIVER, lay.major))
    for suffix in (".so", ".so." + lay.major):
        link = os.path.join(lay.pmd_dir, DRIVER + suffix)
        expect(os.path.islink(in_tree(root, link)) and resolve_in(root, link) == plugin,
               "%s in the PMD directory leads to the plugin" % (DRIVER + suffix))
    # EAL loads every *.so and *.so.<ABI> of the directory
    # (lib/eal/common/eal_common_options.c, eal_plugindir_init()): only
    # the driver may be there, never the rdma-core backend.
    loaded = sorted(n for n in os.listdir(in_tree(root, lay.pmd_dir))
                    if n.endswith(".so") or n.endswith(".so." + lay.abi))
    ours = sorted(n for n in loaded if n.startswith("librte_net_mlx4r"))
    expect(ours == sorted([DRIVER + ".so", DRIVER + ".so." + lay.abi]),
           "EAL would load only the driver from the PMD directory (%s)" % ours)
    for suffix in (".so", ".so." + lay.major, ".so." + lay.abi):
        link = os.path.join(lay.libdir, DRIVER + suffix)
        expect(os.path.islink(in_tree(root, link)) and resolve_in(root, link) == plugin,
               "%s in the library directory links to the plugin" % (DRIVER + suffix))
        if lay.pmd_dir.startswith(lay.libdir + "/"):
            expect(not os.readlink(in_tree(root, link)).startswith("/"),
                   "the link is relative, as DPDK's own")
    if lay.verbs_built:
        glue = os.path.join(lay.glue_dir, "%s.so.%s" % (GLUE, lay.abi))
        expect(os.path.isfile(in_tree(root, glue)),
               "the rdma-core backend is in %s" % lay.glue_dir)
    for h, s in (("rte_pmd_mlx4r.h", "drivers/net/mlx4r/rte_pmd_mlx4r.h"),
                 ("resetcoord.h", "lib/resetcoord/resetcoord.h")):
        path = in_tree(root, os.path.join(lay.includedir, h))
        expect(os.path.isfile(path), "%s is in DPDK's include directory %s" % (h, lay.includedir))
        with open(path, "rb") as a, open(os.path.join(src, s), "rb") as b:
            expect(a.read() == b.read(), "%s is the source's" % h)
    static = in_tree(root, os.path.join(lay.libdir, DRIVER + ".a"))
    expect(os.path.isfile(static), "the static archive is in the library directory")
    rc, out = run(["nm", static], quiet=True)
    expect("net_mlx4r_pmd_info" in out, "the archive carries the PMD info too")


def check_pc(lay, root):
    """pkg-config of the installed .pc files: our variables, our flags and
    libdpdk's, pulled in through Requires."""
    env = dict(os.environ, PKG_CONFIG_PATH=in_tree(root, os.path.join(lay.libdir, "pkgconfig")))

    def pc(*a):
        rc, out = run(["pkg-config"] + list(a), env=env, quiet=True)
        expect(rc == 0, "pkg-config %s" % " ".join(a))
        return out.split()

    _, dpdk_cflags = run(["pkg-config", "--cflags", "libdpdk"], quiet=True)
    for name, lib in (("librte_net_mlx4r", "-lrte_net_mlx4r"), ("libresetcoord", "-lresetcoord")):
        cflags = pc("--cflags", name)
        libs = pc("--libs", name)
        expect("-I" + lay.includedir in cflags,
               "%s: --cflags has -I%s" % (name, lay.includedir))
        expect(all(f in cflags for f in dpdk_cflags.split()),
               "%s: --cflags includes libdpdk's" % name)
        expect("-L" + lay.libdir in libs and lib in libs,
               "%s: --libs has -L%s %s" % (name, lay.libdir, lib))
        expect("-lrte_ethdev" in libs, "%s: --libs includes libdpdk's" % name)
    expect(pc("--variable=pmddir", "librte_net_mlx4r") == [lay.pmd_dir],
           "librte_net_mlx4r.pc names the PMD directory")
    expect(pc("--variable=abi_version", "librte_net_mlx4r") == [lay.abi],
           "librte_net_mlx4r.pc names DPDK's ABI %s" % lay.abi)


def check_pmdinfo(args, plugin):
    """dpdk-pmdinfo.py reads the PMD_INFO_STRING of the plugin: name,
    devargs and kernel modules, the strings of the driver's registration."""
    if args.pmdinfo is None:
        print("note: dpdk-pmdinfo.py not found: PMD info not checked")
        return
    rc, out = run([args.pmdinfo, plugin])
    if rc != 0 and "elftools" in out:
        raise Skip("dpdk-pmdinfo.py needs pyelftools (apt-get install python3-pyelftools)")
    expect(rc == 0, "dpdk-pmdinfo.py reads the plugin")
    info = [d for d in json.loads(out) if d.get("name") == "net_mlx4r"]
    expect(len(info) == 1, "dpdk-pmdinfo.py lists net_mlx4r once")
    params = info[0].get("params", "")
    for key in ("ports=<1|2>", "backend=<emu|verbs>", "fault="):
        expect(key in params, "its params list %s" % key)
    # the very string RTE_PMD_REGISTER_PARAM_STRING left in the object
    rc, strs = run(["strings", "-a", "-n", "8", plugin], quiet=True)
    expect(params in strs.splitlines(),
           "the params are the driver's registered string")
    expect(info[0].get("kmod") == "* ib_uverbs & mlx4_en & mlx4_core & mlx4_ib",
           "kmod names the modules backend=verbs needs (as upstream mlx4)")


def testpmd_forward(testpmd, eal_extra, prefix, env=None):
    """Stock testpmd, two ports, io forwarding from the generators. Each
    command waits for testpmd's prompt, then 0.5 s (stock_tools.py's
    run_tool()): the statistics come at least 0.5 s after the forwarding
    started, however slow the start-up (a fixed 0.5 s timer typed ahead
    of a start-up slowed by load and read no frames). A prompt that does
    not come within PROMPT_WAIT s fails the case, naming the command."""
    argv = ["stdbuf", "-oL", testpmd, "-l", "0-1"] + EAL + [
        "--file-prefix=" + prefix] + eal_extra + [
        "--vdev", "net_mlx4r0,ports=2", "--", "-i",
        "--total-num-mbufs=16384", "--no-mlockall"]
    rc, out = run_tool(argv, [
        "set fwd io", "start", "show port stats all", "stop", "quit"],
        delay=0.5, timeout=120, env=env, cwd="/", prompt=TESTPMD_PROMPT,
        strict=True)
    expect(rc == 0, "testpmd exits 0 (got %d)" % rc)
    expect("Driver name: net_mlx4r" in out or
           re.search(r"Port 1: [0-9A-F:]{17}", out, re.I) is not None,
           "testpmd probed net_mlx4r0 with two ports")
    rx = [int(v) for v in re.findall(r"RX-packets:\s+(\d+)", out)]
    tx = [int(v) for v in re.findall(r"TX-packets:\s+(\d+)", out)]
    expect(rx and max(rx) > 1000, "frames received (RX-packets %s)" % rx)
    expect(tx and max(tx) > 1000, "and forwarded (TX-packets %s)" % tx)


def testpmd_verbs(testpmd, eal_extra, prefix, env=None):
    """backend=verbs, no ConnectX-3 here: the probe gets as far as opening
    the RDMA device, so the rdma-core backend was found where it is
    installed (<PMD directory>-glue)."""
    argv = [testpmd, "-l", "0-1"] + EAL + ["--file-prefix=" + prefix] + \
        eal_extra + ["--vdev", "net_mlx4r0,backend=verbs,ibdev=mlx4_0", "--",
                     "--total-num-mbufs=16384", "--no-mlockall"]
    rc, out = run(argv, env=env, timeout=60)
    if "Device mlx4_0 opened" in out:
        print("note: this machine has a ConnectX-3; backend found")
        return
    expect("cannot load the rdma-core backend" not in out,
           "the driver finds the rdma-core backend where it is installed")
    expect("cannot open the verbs device mlx4_0" in out,
           "the probe goes on to the RDMA device")


def pkgconf(*a):
    rc, out = run(["pkg-config"] + list(a))
    expect(rc == 0, "pkg-config %s" % " ".join(a))
    return out.split()


def pkgconfig_app(app_src, workdir, eal_extra, prefix, static=False):
    """Build the application with pkg-config only (the driver linked
    shared, or its archive whole, as mlx4r_install.rst says), run it."""
    exe = os.path.join(workdir, "pkgconfig-app" + ("-static" if static else ""))
    if static:
        archive = os.path.join(pkgconf("--variable=libdir", "librte_net_mlx4r")[0],
                               DRIVER + ".a")
        flags = pkgconf("--cflags", "librte_net_mlx4r", "libresetcoord") + [
            "-Wl,--whole-archive", archive, "-Wl,--no-whole-archive"] + \
            pkgconf("--libs", "libresetcoord") + ["-lrte_bus_vdev"]
        how = "with the driver's archive linked whole"
    else:
        flags = pkgconf("--cflags", "--libs", "librte_net_mlx4r", "libresetcoord")
        how = "with nothing but pkg-config --cflags --libs librte_net_mlx4r libresetcoord"
    rc, out = run(["cc", "-O2", "-DALLOW_EXPERIMENTAL_API", "-o", exe, app_src] + flags,
                  timeout=120)
    expect(rc == 0, "the application builds " + how)
    rc, out = run(["readelf", "-d", exe], quiet=True)
    expect(("librte_net_mlx4r.so" in out) != static,
           "it needs librte_net_mlx4r.so" if not static else
           "it does not need librte_net_mlx4r.so")
    rc, out = run([exe, "-l", "0"] + EAL + ["--file-prefix=" + prefix] + eal_extra +
                  ["--vdev", "net_mlx4r0,ports=2"], timeout=60)
    expect(rc == 0, "it runs (exit %d)" % rc)
    expect(re.search(r"^port_info_get=0 hca=net_mlx4r0 port_num=1 nb_ports=2 backend=emu$",
                     out, re.M) is not None,
           "rte_pmd_mlx4r_port_info_get() answers for net_mlx4r0")
    expect(re.search(r"^reset_state_get=0 phase=0 generation=1 started=0$", out, re.M)
           is not None,
           "rte_pmd_mlx4r_reset_state_get(): LIVE, generation 1, no reset")
    expect("resetcoord_create=ok" in out and re.search(r"^resetcoord_port_add=0$", out, re.M),
           "resetcoord_create() and resetcoord_port_add() succeed")
    expect(re.search(r"^resetcoord_port_stats_get=0 state=0 resets=0$", out, re.M) is not None,
           "resetcoord_port_stats_get(): port LIVE, no reset")
    expect(re.search(r"^resetcoord_free=0$", out, re.M) is not None, "resetcoord_free() returns 0")


# -- cases ------------------------------------------------------------------

def case_install_destdir(args):
    lay = Layout(args.build)
    work = scratch_dir(args, "install_destdir")
    dest = os.path.join(work, "destdir")
    meson_install(args, dest)
    check_tree(lay, dest, args.source)
    check_pc(lay, dest)
    expect(os.access(in_tree(dest, os.path.join(lay.bindir, "mlx4r-fwd")), os.X_OK),
           "mlx4r-fwd is in %s" % lay.bindir)
    expect(os.path.isfile(in_tree(dest, os.path.join(lay.mandir, "man1", "mlx4r-fwd.1"))),
           "with its manual page")
    check_pmdinfo(args, in_tree(dest, lay.plugin()))
    # EAL loads a directory given to -d as it loads its own PMD directory.
    wpar = world_writable_parent(work)
    if wpar is not None:
        print("note: %s is world-writable, EAL would refuse -d below it: "
              "testpmd part not run" % wpar)
    else:
        pmds = in_tree(dest, lay.pmd_dir)
        testpmd_forward(args.testpmd, ["-d", pmds], "mlx4r_inst_dir")
        if lay.verbs_built:
            testpmd_verbs(args.testpmd, ["-d", pmds], "mlx4r_inst_verbs")
    shutil.rmtree(work, ignore_errors=True)


def inside_root(root, args, check, timeout=300):
    """Run this script's --inside <check> in the throwaway root."""
    here = os.path.dirname(os.path.abspath(__file__))
    root.put(os.path.join(here, "install.py"), INSIDE_DIR + "/install.py")
    for mod in ("throwaway_root.py", "casemain.py", "stock_tools.py", "hugepages.py"):
        root.put(os.path.join(here, mod), INSIDE_DIR + "/" + mod)
    root.put(args.app_src, INSIDE_DIR + "/pkgconfig_app.c")
    rc, out = root.run(["/usr/bin/python3", INSIDE_DIR + "/install.py",
                        "--inside", check, "--build", args.build,
                        "--source", args.source] +
                       (["--pmdinfo", args.pmdinfo] if args.pmdinfo else []),
                       timeout=timeout, env=ROOT_ENV)
    print(out, flush=True)
    if rc == SKIP:
        raise Skip(out.strip().splitlines()[-1] if out.strip() else "skipped inside")
    expect(rc == 0, "the checks in the throwaway root pass (exit %d)" % rc)


def case_install_autoload(args):
    ok, why = throwaway_root.available()
    if not ok:
        raise Skip("throwaway root: " + why)
    lay = Layout(args.build)
    if lay.pmd_dir != lay.eal_pmd_path:
        raise Skip("configured with -Dpmd_dir=%s, not EAL's %s: EAL cannot "
                   "load it on its own" % (lay.pmd_dir, lay.eal_pmd_path))
    work = scratch_dir(args, "install_autoload")
    dest = os.path.join(work, "destdir")
    meson_install(args, dest)
    with throwaway_root.ThrowawayRoot(work) as root:
        root.put_tree(dest)
        inside_root(root, args, "autoload")
    shutil.rmtree(work, ignore_errors=True)


def copy_sources(src, dest):
    """The sources as a user has them: no build directory, no git."""
    def ignore(d, names):
        out = {n for n in names if os.path.isdir(os.path.join(d, n)) and
               (os.path.exists(os.path.join(d, n, "meson-private")) or
                n in (".git", ".debhelper") or n.startswith("obj-"))}
        if d == src:
            out |= {n for n in names if n == ".git"}
        return out
    shutil.copytree(src, dest, symlinks=True, ignore=ignore)


def case_deb_packages(args):
    for tool, pkg in (("dpkg-buildpackage", "dpkg-dev"), ("dh", "debhelper")):
        if shutil.which(tool) is None:
            raise Skip("%s not found (apt-get install %s; devtools/setup.sh does)" % (tool, pkg))
    ok, why = throwaway_root.available()
    if not ok:
        raise Skip("throwaway root: " + why)
    lay = Layout(args.build, debian=True)
    work = scratch_dir(args, "deb_packages")
    src = os.path.join(work, "mlx4r")
    copy_sources(args.source, src)
    rc, out = run(["dpkg-checkbuilddeps"], cwd=src)
    if rc != 0:
        raise Skip("build dependencies missing (devtools/setup.sh installs them): " +
                   out.strip())
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=%d" % (os.cpu_count() or 1),
               PATH=ROOT_ENV["PATH"])
    t0 = time.monotonic()
    rc, out = run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=src, env=env,
                  timeout=600, quiet=True)
    took = time.monotonic() - t0
    print("\n".join(out.splitlines()[-40:]))
    expect(rc == 0, "dpkg-buildpackage -b -us -uc succeeds (%.0f s)" % took)
    # (and the -dbgsym packages of debhelper, not checked here)
    debs = sorted(d for d in glob.glob(os.path.join(work, "*.deb"))
                  if "-dbgsym_" not in d)
    names = {os.path.basename(d).split("_")[0]: d for d in debs}
    driver_pkg = "librte-net-mlx4r" + lay.major
    expect(sorted(names) == sorted([driver_pkg, DEB_RESETCOORD, DEB_DEV, DEB_TOOLS]),
           "the packages %s" % sorted(names))

    def field(deb, name):
        rc, out = run(["dpkg-deb", "-f", deb, name], quiet=True)
        return out.strip()

    def contents(deb):
        rc, out = run(["dpkg-deb", "-c", deb], quiet=True)
        return [line.split()[5].lstrip(".") for line in out.splitlines()]

    depends = field(names[driver_pkg], "Depends")
    print("%s Depends: %s" % (driver_pkg, depends))
    for lib in ("librte-eal", "librte-ethdev", "librte-bus-vdev"):
        expect(re.search(r"\b%s%s\b" % (lib, lay.major), depends) is not None,
               "%s depends on DPDK's ABI %s package %s%s" % (driver_pkg, lay.major, lib, lay.major))
    expect("ibverbs" not in depends,
           "and not on rdma-core (the backend is opened at run time)")
    if lay.verbs_built:
        recommends = field(names[driver_pkg], "Recommends")
        expect("libibverbs1" in recommends,
               "the backend's rdma-core libraries are recommended (%s)" % recommends)
    files = contents(names[driver_pkg])
    for f in (lay.plugin(), os.path.join(lay.libdir, DRIVER + ".so." + lay.major)):
        expect(f in files, "%s ships %s" % (driver_pkg, f))
    dev = contents(names[DEB_DEV])
    for f in (os.path.join(lay.includedir, "rte_pmd_mlx4r.h"),
              os.path.join(lay.includedir, "resetcoord.h"),
              os.path.join(lay.libdir, "pkgconfig", "librte_net_mlx4r.pc"),
              os.path.join(lay.libdir, "pkgconfig", "libresetcoord.pc"),
              os.path.join(lay.libdir, DRIVER + ".a")):
        expect(f in dev, "%s ships %s" % (DEB_DEV, f))
    expect("/usr/bin/mlx4r-fwd" in contents(names[DEB_TOOLS]),
           "%s ships /usr/bin/mlx4r-fwd" % DEB_TOOLS)

    if shutil.which("lintian"):
        changes = glob.glob(os.path.join(work, "*.changes"))
        t0 = time.monotonic()
        # (the tags overridden in debian/*.lintian-overrides say why)
        rc, out = run(["lintian", "--fail-on", "error,warning",
                       "--display-level", ">=pedantic"] + changes, timeout=300)
        expect(rc == 0, "lintian: no error, no warning (%.0f s)" % (time.monotonic() - t0))
    else:
        print("note: lintian not installed: packages not linted")

    with throwaway_root.ThrowawayRoot(work) as root:
        for d in debs:
            root.put(d, INSIDE_DIR + "/debs/" + os.path.basename(d))
        inside_root(root, args, "debs")
    shutil.rmtree(work, ignore_errors=True)


# -- inside the throwaway root ---------------------------------------------

def inside_common(args, lay, tag):
    testpmd = shutil.which("dpdk-testpmd")
    expect(testpmd is not None, "dpdk-testpmd is installed")
    testpmd_forward(testpmd, [], "mlx4r_%s_fwd" % tag)
    print("ok: stock testpmd forwards on net_mlx4r0 with no -d", flush=True)
    if lay.verbs_built:
        testpmd_verbs(testpmd, [], "mlx4r_%s_verbs" % tag)
    pkgconfig_app(INSIDE_DIR + "/pkgconfig_app.c", "/tmp", [], "mlx4r_%s_app" % tag)
    pkgconfig_app(INSIDE_DIR + "/pkgconfig_app.c", "/tmp", [], "mlx4r_%s_sapp" % tag,
                  static=True)
    if args.pmdinfo:
        check_pmdinfo(args, lay.plugin())
        rc, out = run([args.pmdinfo, "-p", testpmd], quiet=True)
        expect(rc == 0 and '"net_mlx4r"' in out,
               "dpdk-pmdinfo.py -p dpdk-testpmd finds net_mlx4r in EAL's PMD directory")


def inside_autoload(args):
    lay = Layout(args.build)
    # what meson install does when not installing into a DESTDIR
    run(["ldconfig"])
    inside_common(args, lay, "auto")


def inside_debs(args):
    lay = Layout(args.build, debian=True)
    debs = sorted(glob.glob(INSIDE_DIR + "/debs/*.deb"))
    rc, out = run(["dpkg", "-i"] + debs, timeout=300)
    expect(rc == 0, "dpkg -i of the packages: their dependencies are met")
    rc, out = run(["dpkg-query", "-W", "-f", "${Package} ${Status}\\n"] +
                  [os.path.basename(d).split("_")[0] for d in debs], quiet=True)
    print(out)
    expect(out.count("install ok installed") == len(debs), "all installed")
    check_tree(lay, "/", args.source)
    inside_common(args, lay, "deb")
    # the tools package: mlx4r-fwd with its copy of the driver, while EAL
    # also loads the packaged plugin
    rc, out = run(["mlx4r-fwd", "-l", "0-1"] + EAL + ["--file-prefix=mlx4r_deb_fwd", "--",
                   "--duration", "1", "--no-progress", "--json", "/tmp/fwd.json"],
                  timeout=120)
    expect(rc == 0, "mlx4r-fwd from %s runs and its accounting closes" % DEB_TOOLS)
    with open("/tmp/fwd.json") as f:
        rep = json.load(f)
    expect(rep["totals"]["forwarded"] > 0, "and it forwarded frames")
    pkgs = [os.path.basename(d).split("_")[0] for d in debs]
    rc, out = run(["dpkg", "--purge"] + pkgs, timeout=300)
    expect(rc == 0, "dpkg --purge of the packages")
    expect(not os.path.exists(lay.plugin()) and
           not os.path.lexists(os.path.join(lay.libdir, DRIVER + ".so." + lay.major)),
           "the plugin and its links are gone")
    expect(os.path.isdir(lay.eal_pmd_path) and
           len(os.listdir(lay.eal_pmd_path)) > 0, "DPDK's own PMDs are still there")


INSIDE = {"autoload": inside_autoload, "debs": inside_debs}
CASES = {name[5:]: fn for name, fn in list(globals().items())
         if name.startswith("case_")}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="meson build directory")
    ap.add_argument("--source", required=True, help="source directory")
    ap.add_argument("--testpmd", default="dpdk-testpmd")
    ap.add_argument("--pmdinfo", default=None, help="dpdk-pmdinfo.py")
    ap.add_argument("--app-src", default=None, help="pkgconfig_app.c")
    ap.add_argument("--inside", choices=sorted(INSIDE), help=argparse.SUPPRESS)
    ap.add_argument("case", nargs="?", choices=sorted(CASES))
    args = ap.parse_args()
    name = args.inside or args.case
    # meson test points LD_LIBRARY_PATH at the build tree's libraries: an
    # installed tree must be tested without them.
    os.environ.pop("LD_LIBRARY_PATH", None)
    try:
        if args.inside:
            INSIDE[args.inside](args)
        elif args.case:
            CASES[args.case](args)
        else:
            ap.error("name a case")
    except Skip as e:
        print("SKIP: %s: %s" % (name, e))
        return SKIP
    except CaseFailed as e:
        print("FAIL: %s: %s" % (name, e))
        return 1
    print("PASS: " + name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
