"""Build minimal ELF shared objects from recorded `readelf -d` answers (for fixtures and tests)."""

from __future__ import annotations

import struct

from accelctl.probes.nvidia.elf import (
    DT_NEEDED,
    DT_NULL,
    DT_RPATH,
    DT_RUNPATH,
    DT_SONAME,
    DT_STRSZ,
    DT_STRTAB,
    DT_VERNEED,
    DT_VERNEEDNUM,
    PT_DYNAMIC,
    PT_LOAD,
)


def build_shared_object(needed: list[str], soname: str | None = None, rpath: str | None = None,
                        runpath: str | None = None, machine: int = 62,
                        version_needs: dict[str, list[str]] | None = None) -> bytes:
    """A minimal, valid 64-bit little-endian ELF shared object carrying just a dynamic section.

    Used to rebuild fixture libraries from recorded ``readelf -d`` answers: the
    loader-relevant content (NEEDED, SONAME, RPATH/RUNPATH) is real, the rest is absent.
    """
    strings = b"\0"
    offsets: dict[str, int] = {}

    def add(s: str) -> int:
        nonlocal strings
        if s not in offsets:
            offsets[s] = len(strings)
            strings += s.encode() + b"\0"
        return offsets[s]

    dyn: list[tuple[int, int]] = [(DT_NEEDED, add(n)) for n in needed]
    if soname:
        dyn.append((DT_SONAME, add(soname)))
    if rpath is not None:
        dyn.append((DT_RPATH, add(rpath)))
    if runpath is not None:
        dyn.append((DT_RUNPATH, add(runpath)))
    # DT_VERNEED: one Elf_Verneed per library, each followed by its Elf_Vernaux entries (16 bytes each)
    verneed = b""
    for i, (lib, names) in enumerate((version_needs or {}).items()):
        last = i == len(version_needs or {}) - 1
        size = 16 + 16 * len(names)
        verneed += struct.pack("<HHIII", 1, len(names), add(lib), 16, 0 if last else size)
        for j, name in enumerate(names):
            verneed += struct.pack("<IHHII", 0, 0, 2 + j, add(name), 0 if j == len(names) - 1 else 16)
    ehsize, phentsize, phnum = 64, 56, 2
    str_at = ehsize + phentsize * phnum
    ver_at = (str_at + len(strings) + 7) & ~7
    dyn_at = (ver_at + len(verneed) + 7) & ~7
    if verneed:
        dyn += [(DT_VERNEED, ver_at), (DT_VERNEEDNUM, len(version_needs or {}))]
    dyn += [(DT_STRTAB, str_at), (DT_STRSZ, len(strings)), (DT_NULL, 0)]
    dyn_bytes = b"".join(struct.pack("<qQ", t, v) for t, v in dyn)
    total = dyn_at + len(dyn_bytes)
    header = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    header += struct.pack("<HHIQQQIHHHHHH", 3, machine, 1, 0, ehsize, 0, 0, ehsize, phentsize, phnum, 64, 0, 0)
    load = struct.pack("<IIQQQQQQ", PT_LOAD, 6, 0, 0, 0, total, total, 0x1000)
    dynamic = struct.pack("<IIQQQQQQ", PT_DYNAMIC, 6, dyn_at, dyn_at, dyn_at, len(dyn_bytes), len(dyn_bytes), 8)
    body = header + load + dynamic + strings
    body += b"\0" * (ver_at - len(body)) + verneed
    return body + b"\0" * (dyn_at - len(body)) + dyn_bytes
