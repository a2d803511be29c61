#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
"""Generate the PMD info source of a driver, as DPDK's build does for its own.

DPDK's registration macros (rte_dev.h) leave one static string per fact in
the driver's objects:

    this_pmd_name<N>                 the driver's name   RTE_PMD_REGISTER_VDEV
    __<name>_param_string_export     its devargs         RTE_PMD_REGISTER_PARAM_STRING
    __<name>_kmod_dep_export         kernel modules      RTE_PMD_REGISTER_KMOD_DEP
    __<name>_pci_tbl_export          its PCI id table    RTE_PMD_REGISTER_PCI_TABLE

This script reads them from the symbol tables of the objects (a static
archive, plain or thin, or .o files) and writes a C file that defines, per
driver,

    const char <name>_pmd_info[] = "PMD_INFO_STRING= {json}";

which, compiled into the plugin, is what ``dpdk-pmdinfo.py`` finds in its
.rodata. DPDK does not install its own generator (buildtools/pmdinfogen.py
needs pyelftools and DPDK's build tree); this one reads ELF with the
standard library only, so the build needs nothing beyond meson's Python.

Usage: mlx4r-pmdinfogen.py <archive.a | object.o>... <output.c | ->
"""

import json
import os
import re
import struct
import sys

SHT_SYMTAB = 2
SHT_NOBITS = 8
SHN_UNDEF = 0
SHN_LORESERVE = 0xff00


class ElfError(Exception):
    pass


class ElfObject:
    """The symbols of one relocatable ELF object and their bytes."""

    def __init__(self, data, what):
        self.what = what
        if data[:4] != b"\x7fELF":
            raise ElfError("%s: not an ELF object" % what)
        cls, enc = data[4], data[5]
        if cls not in (1, 2) or enc not in (1, 2):
            raise ElfError("%s: unknown ELF class %d / data encoding %d" % (what, cls, enc))
        self.is64 = cls == 2
        self.big_endian = enc == 2
        e = ">" if self.big_endian else "<"
        if self.is64:
            shoff, = struct.unpack_from(e + "Q", data, 0x28)
            shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 0x3a)
            shfmt = e + "IIQQQQIIQQ"
        else:
            shoff, = struct.unpack_from(e + "I", data, 0x20)
            shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 0x2e)
            shfmt = e + "IIIIIIIIII"
        self.data = data
        self.sections = []
        for i in range(shnum):
            (name, typ, _flags, _addr, offset, size, link, _info, _align,
             entsize) = struct.unpack_from(shfmt, data, shoff + i * shentsize)
            self.sections.append(dict(name=name, type=typ, offset=offset,
                                      size=size, link=link, entsize=entsize))
        self.symbols = {}
        for sec in self.sections:
            if sec["type"] == SHT_SYMTAB:
                self._read_symtab(sec, e)

    def _section_bytes(self, index):
        sec = self.sections[index]
        if sec["type"] == SHT_NOBITS:
            return b""
        return self.data[sec["offset"]:sec["offset"] + sec["size"]]

    def _read_symtab(self, sec, e):
        strtab = self._section_bytes(sec["link"])
        fmt = e + ("IBBHQQ" if self.is64 else "IIIBBH")
        size = struct.calcsize(fmt)
        for off in range(sec["offset"], sec["offset"] + sec["size"], size):
            f = struct.unpack_from(fmt, self.data, off)
            if self.is64:
                name, _info, _other, shndx, value, st_size = f
            else:
                name, value, st_size, _info, _other, shndx = f
            if shndx == SHN_UNDEF or shndx >= SHN_LORESERVE or name == 0:
                continue
            end = strtab.index(b"\0", name)
            sym = strtab[name:end].decode("ascii", "replace")
            self.symbols[sym] = (shndx, value, st_size)

    def names(self):
        return self.symbols.keys()

    def value(self, sym):
        """The bytes of a defined data symbol (in a relocatable object its
        value is the offset in its section)."""
        shndx, value, size = self.symbols[sym]
        return self._section_bytes(shndx)[value:value + size]

    def string(self, sym):
        raw = self.value(sym)
        end = raw.find(b"\0")
        if end < 0:
            raise ElfError("%s: %s is not a NUL-terminated string" % (self.what, sym))
        return raw[:end].decode("utf-8")


def archive_members(path):
    """(name, bytes) of every object in a static archive, regular or thin
    (a thin archive names its members by path, relative to itself)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:8]
    if magic not in (b"!<arch>\n", b"!<thin>\n"):
        raise ElfError("%s: not an ar archive" % path)
    thin = magic == b"!<thin>\n"
    longnames = b""
    pos = 8
    while pos + 60 <= len(data):
        hdr = data[pos:pos + 60]
        if hdr[58:60] != b"`\n":
            raise ElfError("%s: bad member header at offset %d" % (path, pos))
        name = hdr[0:16].decode("ascii").rstrip()
        size = int(hdr[48:58].decode("ascii").strip())
        body = pos + 60
        special = name in ("/", "//", "/SYM64/")
        if name == "//":
            longnames = data[body:body + size]
        elif not special:
            # "/<offset>" into the long-name table (a thin archive's
            # field may end with "/" too)
            ref = name[1:].rstrip("/ ")
            if name.startswith("/") and ref.isdigit():
                start = int(ref)
                end = longnames.index(b"\n", start)
                name = longnames[start:end].decode("utf-8")
            name = name.rstrip("/")
            if thin:
                member = os.path.join(os.path.dirname(os.path.abspath(path)), name)
                with open(member, "rb") as m:
                    yield name, m.read()
            else:
                yield name, data[body:body + size]
        # A thin archive stores only its symbol and name tables.
        if not thin or special:
            pos = body + size + (size & 1)
        else:
            pos = body


def load_objects(paths):
    objects = []
    for p in paths:
        with open(p, "rb") as f:
            head = f.read(8)
        if head in (b"!<arch>\n", b"!<thin>\n"):
            for name, data in archive_members(p):
                objects.append(ElfObject(data, "%s(%s)" % (p, name)))
        else:
            with open(p, "rb") as f:
                objects.append(ElfObject(f.read(), p))
    return objects


def find(objects, sym):
    for o in objects:
        if sym in o.symbols:
            return o
    return None


def pci_ids(objects, name):
    """The rte_pci_id table a driver declared (RTE_PMD_REGISTER_PCI_TABLE):
    class_id (u32), vendor, device, subsystem vendor and device (u16 each),
    up to the entry with device 0."""
    o = find(objects, "__%s_pci_tbl_export" % name)
    if o is None:
        return []
    table = o.string("__%s_pci_tbl_export" % name)
    t = find(objects, table)
    if t is None:
        raise ElfError("%s declares PCI table %s but defines none" % (name, table))
    raw = t.value(table)
    fmt = (">" if t.big_endian else "<") + "IHHHH"
    ids = []
    for off in range(0, len(raw) - struct.calcsize(fmt) + 1, struct.calcsize(fmt)):
        _cls, vendor, device, ss_vendor, ss_device = struct.unpack_from(fmt, raw, off)
        if device == 0:
            break
        ids.append([vendor, device, ss_vendor, ss_device])
    return ids


def drivers(objects):
    """One dict per registered driver, keys in the order DPDK's generator
    writes them (dpdk-pmdinfo.py expects "name" and "pci_ids")."""
    result = []
    for o in objects:
        for sym in sorted(s for s in o.names() if re.fullmatch(r"this_pmd_name[0-9]+", s)):
            name = o.string(sym)
            if not re.fullmatch(r"[A-Za-z0-9_]+", name):
                raise ElfError("%s: driver name %r is not a C identifier" % (o.what, name))
            info = {"name": name}
            for key, suffix in (("params", "param_string_export"),
                                ("kmod", "kmod_dep_export")):
                src = find(objects, "__%s_%s" % (name, suffix))
                if src is not None:
                    info[key] = src.string("__%s_%s" % (name, suffix))
            info["pci_ids"] = pci_ids(objects, name)
            result.append(info)
    return result


def c_string(text):
    """A C string literal holding text exactly."""
    out = []
    for ch in text.encode("utf-8"):
        if ch in (0x22, 0x5c):
            out.append("\\" + chr(ch))
        elif 0x20 <= ch < 0x7f:
            out.append(chr(ch))
        else:
            out.append("\\%03o" % ch)
    return '"' + "".join(out) + '"'


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    inputs, output = argv[1:-1], argv[-1]
    try:
        found = drivers(load_objects(inputs))
    except (OSError, ElfError, ValueError, struct.error) as e:
        sys.stderr.write("mlx4r-pmdinfogen: %s\n" % e)
        return 1
    if not found:
        sys.stderr.write("mlx4r-pmdinfogen: no driver registered (no this_pmd_name<N> symbol) in %s\n"
                         % " ".join(inputs))
        return 1
    lines = ["/* Generated by %s from %s: do not edit. */" %
             (os.path.basename(argv[0]), ", ".join(os.path.basename(i) for i in inputs))]
    for info in found:
        lines.append("extern const char %s_pmd_info[];" % info["name"])
        lines.append("const char %s_pmd_info[] __attribute__((used)) =\n\t%s;" %
                     (info["name"], c_string("PMD_INFO_STRING= " + json.dumps(info))))
    text = "\n".join(lines) + "\n"
    if output == "-":
        sys.stdout.write(text)
    else:
        with open(output, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
