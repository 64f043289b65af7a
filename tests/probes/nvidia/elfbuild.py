"""Build minimal ELF shared objects from recorded `readelf -d` answers (for fixtures and tests)."""

from __future__ import annotations

import struct
from typing import Dict, List, Optional, Tuple

from accelctl.probes.nvidia.elf import DT_NEEDED, DT_NULL, DT_RPATH, DT_RUNPATH, DT_SONAME, DT_STRSZ, DT_STRTAB, PT_DYNAMIC, PT_LOAD


def build_shared_object(needed: List[str], soname: Optional[str] = None, rpath: Optional[str] = None,
                        runpath: Optional[str] = None, machine: int = 62) -> bytes:
    """A minimal, valid 64-bit little-endian ELF shared object carrying just a dynamic section.

    Used to rebuild fixture libraries from recorded ``readelf -d`` answers: the
    loader-relevant content (NEEDED, SONAME, RPATH/RUNPATH) is real, the rest is absent.
    """
    strings = b"\0"
    offsets: Dict[str, int] = {}

    def add(s: str) -> int:
        nonlocal strings
        if s not in offsets:
            offsets[s] = len(strings)
            strings += s.encode() + b"\0"
        return offsets[s]

    dyn: List[Tuple[int, int]] = [(DT_NEEDED, add(n)) for n in needed]
    if soname:
        dyn.append((DT_SONAME, add(soname)))
    if rpath is not None:
        dyn.append((DT_RPATH, add(rpath)))
    if runpath is not None:
        dyn.append((DT_RUNPATH, add(runpath)))
    ehsize, phentsize, phnum = 64, 56, 2
    str_at = ehsize + phentsize * phnum
    dyn_at = (str_at + len(strings) + 7) & ~7
    dyn += [(DT_STRTAB, str_at), (DT_STRSZ, len(strings)), (DT_NULL, 0)]
    dyn_bytes = b"".join(struct.pack("<qQ", t, v) for t, v in dyn)
    total = dyn_at + len(dyn_bytes)
    header = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    header += struct.pack("<HHIQQQIHHHHHH", 3, machine, 1, 0, ehsize, 0, 0, ehsize, phentsize, phnum, 64, 0, 0)
    load = struct.pack("<IIQQQQQQ", PT_LOAD, 6, 0, 0, 0, total, total, 0x1000)
    dynamic = struct.pack("<IIQQQQQQ", PT_DYNAMIC, 6, dyn_at, dyn_at, dyn_at, len(dyn_bytes), len(dyn_bytes), 8)
    body = header + load + dynamic + strings
    return body + b"\0" * (dyn_at - len(body)) + dyn_bytes
