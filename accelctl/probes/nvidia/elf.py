"""SONAME, NEEDED, RPATH and RUNPATH of a shared library, reading only what the loader reads.

The ELF header points at the program headers; PT_DYNAMIC locates the dynamic
section and PT_LOAD segments map DT_STRTAB's address to a file offset. Only
those few ranges (and the few strings named) are read: a 1 GB libtorch_cuda.so
costs a handful of small reads, not its size (ELF gABI, "Dynamic Section").
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import field
from typing import Any

from accelctl.record import record

Reader = Callable[[int, int], bytes]  # (offset, size) -> bytes, short at end of file

PT_LOAD, PT_DYNAMIC = 1, 2
DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ, DT_SONAME, DT_RPATH, DT_RUNPATH = 0, 1, 5, 10, 14, 15, 29
DT_VERNEED, DT_VERNEEDNUM = 0x6FFFFFFE, 0x6FFFFFFF
EM_NAMES = {3: "i386", 62: "x86_64", 183: "aarch64", 21: "ppc64", 20: "ppc"}
_MAX_PHNUM = 512
_MAX_DYN = 4096
_MAX_VERNEED = 256
_STRING_CHUNK = 4096


class ElfError(ValueError):
    pass


@record
class ElfDynamic:
    soname: str | None = None
    needed: list[str] = field(default_factory=list)
    rpath: list[str] = field(default_factory=list)  # DT_RPATH entries, unexpanded
    runpath: list[str] = field(default_factory=list)  # DT_RUNPATH entries, unexpanded
    machine: str | None = None
    bits: int = 64
    # Symbol versions it needs, per library (DT_VERNEED): {"libc.so.6": ["GLIBC_2.17", "GLIBC_2.28"]}.
    version_needs: dict[str, list[str]] = field(default_factory=dict)

    def glibc_needed(self) -> tuple[int, int] | None:
        """The newest GLIBC_x.y symbol version it needs: the oldest glibc it can load with."""
        best: tuple[int, int] | None = None
        for names in self.version_needs.values():
            for name in names:
                if name.startswith("GLIBC_") and not name.startswith("GLIBC_PRIVATE"):
                    parts = name[6:].split(".")
                    if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
                        v = (int(parts[0]), int(parts[1]))
                        best = v if best is None or v > best else best
        return best


def _split_path(value: str) -> list[str]:
    return [p for p in value.split(":")] if value else []


def read_dynamic(read: Reader) -> ElfDynamic:
    """Parse the dynamic section through ``read``; raises ElfError on anything that is not ELF."""
    head = read(0, 64)
    if len(head) < 52 or head[:4] != b"\x7fELF":
        raise ElfError("not an ELF file")
    bits = {1: 32, 2: 64}.get(head[4])
    endian = {1: "<", 2: ">"}.get(head[5])
    if bits is None or endian is None:
        raise ElfError("unknown ELF class or byte order")
    (machine,) = struct.unpack_from(endian + "H", head, 18)
    if bits == 64:
        phoff, = struct.unpack_from(endian + "Q", head, 32)
        phentsize, phnum = struct.unpack_from(endian + "HH", head, 54)
        ph_fmt, dyn_fmt = endian + "IIQQQQQQ", endian + "qQ"
    else:
        phoff, = struct.unpack_from(endian + "I", head, 28)
        phentsize, phnum = struct.unpack_from(endian + "HH", head, 42)
        ph_fmt, dyn_fmt = endian + "IIIIIIII", endian + "iI"
    if phnum == 0 or phnum > _MAX_PHNUM or phentsize < struct.calcsize(ph_fmt):
        raise ElfError("no usable program headers")
    table = read(phoff, phentsize * phnum)
    loads: list[tuple[int, int, int]] = []  # (vaddr, filesz, offset)
    dynamic: tuple[int, int] | None = None
    for i in range(phnum):
        raw = table[i * phentsize:(i + 1) * phentsize]
        if len(raw) < struct.calcsize(ph_fmt):
            break
        f = struct.unpack_from(ph_fmt, raw)
        if bits == 64:  # p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, ...
            ptype, offset, vaddr, filesz = f[0], f[2], f[3], f[5]
        else:  # p_type, p_offset, p_vaddr, p_paddr, p_filesz, ...
            ptype, offset, vaddr, filesz = f[0], f[1], f[2], f[4]
        if ptype == PT_LOAD:
            loads.append((vaddr, filesz, offset))
        elif ptype == PT_DYNAMIC:
            dynamic = (offset, filesz)
    if dynamic is None:
        return ElfDynamic(machine=EM_NAMES.get(machine, str(machine)), bits=bits)
    entsize = struct.calcsize(dyn_fmt)
    raw = read(dynamic[0], min(dynamic[1], entsize * _MAX_DYN))
    tags: list[tuple[int, int]] = []
    for i in range(len(raw) // entsize):
        tag, val = struct.unpack_from(dyn_fmt, raw, i * entsize)
        if tag == DT_NULL:
            break
        tags.append((tag, val))
    strtab = next((v for t, v in tags if t == DT_STRTAB), None)
    strsz = next((v for t, v in tags if t == DT_STRSZ), None)
    if strtab is None:
        raise ElfError("dynamic section without DT_STRTAB")
    str_off = _file_offset(loads, strtab)
    if str_off is None:
        raise ElfError("DT_STRTAB is outside every PT_LOAD segment")
    cache: dict[int, bytes] = {}

    def string(off: int) -> str:
        if strsz is not None and off >= strsz:
            raise ElfError("string offset outside DT_STRSZ")
        base = (off // _STRING_CHUNK) * _STRING_CHUNK
        buf = b""
        while True:
            chunk = cache.get(base)
            if chunk is None:
                chunk = cache[base] = read(str_off + base, _STRING_CHUNK)
            piece = chunk[off - base:] if not buf else chunk
            end = piece.find(b"\0")
            if end >= 0 or len(chunk) < _STRING_CHUNK or len(buf) > 1 << 16:
                buf += piece[:end] if end >= 0 else piece
                return buf.decode("utf-8", errors="replace")
            buf += piece
            base += _STRING_CHUNK

    version_needs: dict[str, list[str]] = {}
    verneed = next((v for t, v in tags if t == DT_VERNEED), None)
    verneednum = next((v for t, v in tags if t == DT_VERNEEDNUM), None)
    if verneed is not None and verneednum:
        try:
            version_needs = _read_verneed(read, loads, verneed, verneednum, endian, string)
        except ElfError:  # auxiliary: a damaged version chain must not cost the loader facts
            version_needs = {}

    soname = None
    needed: list[str] = []
    rpath: list[str] = []
    runpath: list[str] = []
    for tag, val in tags:
        if tag == DT_NEEDED:
            needed.append(string(val))
        elif tag == DT_SONAME:
            soname = string(val)
        elif tag == DT_RPATH:
            rpath.extend(_split_path(string(val)))
        elif tag == DT_RUNPATH:
            runpath.extend(_split_path(string(val)))
    return ElfDynamic(soname, needed, rpath, runpath, EM_NAMES.get(machine, str(machine)), bits, version_needs)


def _read_verneed(read: Reader, loads: list[tuple[int, int, int]], addr: int, count: int, endian: str,
                  string: Any) -> dict[str, list[str]]:
    """Walk the Elf_Verneed chain (same layout for 32 and 64 bit): library -> version names it needs."""
    offset = _file_offset(loads, addr)
    if offset is None:
        raise ElfError("DT_VERNEED is outside every PT_LOAD segment")
    out: dict[str, list[str]] = {}
    for _ in range(min(count, _MAX_VERNEED)):
        raw = read(offset, 16)
        if len(raw) < 16:
            raise ElfError("truncated version-needed entry")
        _, cnt, file_off, aux, nxt = struct.unpack_from(endian + "HHIII", raw)
        names = out.setdefault(string(file_off), [])
        aux_at = offset + aux
        for _ in range(min(cnt, _MAX_VERNEED)):
            entry = read(aux_at, 16)
            if len(entry) < 16:
                raise ElfError("truncated version-needed aux entry")
            _, _, _, name_off, aux_next = struct.unpack_from(endian + "IHHII", entry)
            names.append(string(name_off))
            if not aux_next:
                break
            aux_at += aux_next
        if not nxt:
            break
        offset += nxt
    return out


def _file_offset(loads: list[tuple[int, int, int]], addr: int) -> int | None:
    for vaddr, filesz, offset in loads:
        if vaddr <= addr < vaddr + filesz:
            return addr - vaddr + offset
    return None


def bytes_reader(data: bytes) -> Reader:
    return lambda off, size: data[off:off + size]


_BLOCK = 4096


def block_reader(read: Reader, block: int = _BLOCK) -> Reader:
    """``read`` through a cache of aligned blocks: the parser's many small reads become a few larger ones.

    The header and program headers share the first block, and the version-needed
    entries (16 bytes each, dozens of them) sit beside the string table, so a
    library costs three or four reads instead of thirty. A read that needs
    uncached blocks fetches the whole run of them at once; short data means end
    of file, and no block past it is asked for.
    """
    blocks: dict[int, bytes] = {}
    eof: list[int | None] = [None]  # index of the first block past the end of the file, once seen

    def cached(off: int, size: int) -> bytes:
        if size <= 0:
            return b""
        first, last = off // block, (off + size - 1) // block
        if eof[0] is not None:
            last = min(last, eof[0])
        missing = [i for i in range(first, last + 1) if i not in blocks]
        if missing:
            lo, hi = missing[0], missing[-1]
            data = read(lo * block, (hi - lo + 1) * block)
            for i in range(lo, hi + 1):
                piece = data[(i - lo) * block:(i - lo + 1) * block]
                blocks[i] = piece
                if len(piece) < block:
                    eof[0] = i
                    break
        out = b"".join(blocks.get(i, b"") for i in range(first, last + 1))
        start = off - first * block
        return out[start:start + size]

    return cached


def read_elf_dynamic(host: Any, path: str) -> ElfDynamic:
    """The dynamic section of ``path`` on ``host``, reading only the ranges needed.

    Uses the host's ranged reads, so a gigabyte library costs a few kilobytes
    and nothing outside the host's root is touched. Raises ElfError or HostError.
    """
    return read_dynamic(block_reader(lambda off, size: host.read_at(path, off, size)))
