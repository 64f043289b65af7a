"""GPU code targets compiled into a library: the headers of its ``.nv_fatbin`` ELF section.

nvcc places every translation unit's device code in a fat binary container
inside the ``.nv_fatbin`` section: a 16-byte container header (magic
0xBA55ED50, version, header size, size of the entries that follow) and, per
entry, a header naming its kind (1 = PTX, 2 = cubin/SASS), the virtual
architecture it targets and the payload size. Only those headers are read:
the payloads (hundreds of MB in libtorch_cuda.so) are skipped with seeks, so
a scan costs a few thousand small reads. Layout checked against nvcc 13.0
output and ``cuobjdump --list-elf/--list-ptx`` on the H100 node
(tests/fixtures/envs/README.md). Opt-in (``--scan-fatbins``): large files.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import field

from accelctl.record import record

Reader = Callable[[int, int], bytes]

MAGIC = 0xBA55ED50
_CONTAINER = struct.Struct("<IHHQ")  # magic, version, header size, size of entries
_ENTRY = struct.Struct("<HHIQIIHHI")  # kind, ?, header size, payload size, compressed size, ?, minor, major, arch
_ENTRY_FLAGS_AT = 40  # 64-bit flags after the name offset/length words
KIND_PTX, KIND_CUBIN = 1, 2
# Entry flag bits seen on nvcc 13.0 output: 0x100000 on sm_90a cubins (arch-specific "a" targets).
FLAG_ARCH_SPECIFIC = 0x100000
# 0x200000 on family-specific "f" targets (sm_100f, sm_103f): seen on kernels compiled with nvcc 13.0 and in
# torch 2.13+ wheels, where cuobjdump 13.5 names them plain "sm_103".
FLAG_FAMILY_SPECIFIC = 0x200000
_MAX_ENTRIES = 2_000_000
_SCAN_STEP = 64 << 10


class FatbinError(ValueError):
    pass


@record
class FatbinTargets:
    cubins: dict[str, int] = field(default_factory=dict)  # "sm_90" -> count of cubins
    ptx: dict[str, int] = field(default_factory=dict)  # "compute_90" -> count of PTX entries
    containers: int = 0
    section_size: int = 0
    complete: bool = True  # False when the walk stopped early (a malformed or unknown header)

    def sm(self) -> list[str]:
        return sorted(self.cubins, key=_arch_key)

    def compute(self) -> list[str]:
        return sorted(self.ptx, key=_arch_key)


def _arch_key(name: str) -> tuple[int, str]:
    digits = "".join(c for c in name.split("_", 1)[-1] if c.isdigit())
    return int(digits or 0), name


def find_section(read: Reader, name: bytes = b".nv_fatbin") -> tuple[int, int] | None:
    """(file offset, size) of an ELF64 little-endian section by name; None when absent."""
    ident = read(0, 64)
    if len(ident) < 64 or ident[:4] != b"\x7fELF":
        raise FatbinError("not an ELF file")
    if ident[4] != 2 or ident[5] != 1:
        raise FatbinError("only 64-bit little-endian ELF is read")
    shoff, = struct.unpack_from("<Q", ident, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", ident, 0x3A)
    if not shoff or shentsize < 64 or shnum == 0 or shnum > 65000:
        return None
    table = read(shoff, shentsize * shnum)
    if len(table) < shentsize * shnum:
        raise FatbinError("truncated section header table")

    def header(i: int) -> tuple[int, int, int]:
        name_off, = struct.unpack_from("<I", table, i * shentsize)
        offset, size = struct.unpack_from("<QQ", table, i * shentsize + 0x18)
        return name_off, offset, size

    _, str_off, str_size = header(shstrndx)
    strings = read(str_off, min(str_size, 1 << 20))
    for i in range(shnum):
        name_off, offset, size = header(i)
        end = strings.find(b"\0", name_off)
        if strings[name_off:end if end >= 0 else None] == name:
            return offset, size
    return None


def _arch_name(prefix: str, arch: int, flags: int) -> str:
    suffix = "a" if flags & FLAG_ARCH_SPECIFIC else "f" if flags & FLAG_FAMILY_SPECIFIC else ""
    return f"{prefix}_{arch}{suffix}"


def walk(read: Reader, offset: int, size: int) -> FatbinTargets:
    """Count cubin and PTX targets of the fat binaries in [offset, offset + size)."""
    cubins: dict[str, int] = {}
    ptx: dict[str, int] = {}
    pos, end, containers, entries = offset, offset + size, 0, 0
    complete = True
    while pos + _CONTAINER.size <= end:
        head = read(pos, _CONTAINER.size)
        magic, _version, hsize, fat_size = _CONTAINER.unpack_from(head) if len(head) == _CONTAINER.size else (0, 0, 0, 0)
        if magic != MAGIC:
            nxt = _next_magic(read, pos, end)
            if nxt is None:
                # Trailing zero padding ends the section; anything else means we lost track.
                complete = complete and not read(pos, min(64, end - pos)).strip(b"\0")
                break
            pos = nxt
            continue
        containers += 1
        e, stop = pos + hsize, min(pos + hsize + fat_size, end)
        while e + _ENTRY.size <= stop:
            raw = read(e, 64)
            if len(raw) < _ENTRY.size:
                complete = False
                break
            kind, _u, ehsize, payload, _c, _u2, _minor, _major, arch = _ENTRY.unpack_from(raw)
            flags = struct.unpack_from("<Q", raw, _ENTRY_FLAGS_AT)[0] if len(raw) >= _ENTRY_FLAGS_AT + 8 else 0
            if ehsize < _ENTRY.size or kind not in (KIND_PTX, KIND_CUBIN):
                complete = False
                break
            if kind == KIND_CUBIN:
                key = _arch_name("sm", arch, flags)
                cubins[key] = cubins.get(key, 0) + 1
            else:
                key = _arch_name("compute", arch, flags)
                ptx[key] = ptx.get(key, 0) + 1
            entries += 1
            if entries > _MAX_ENTRIES:
                return FatbinTargets(cubins, ptx, containers, size, False)
            e += ehsize + payload
        pos = pos + hsize + fat_size
    return FatbinTargets(cubins, ptx, containers, size, complete)


def _next_magic(read: Reader, pos: int, end: int) -> int | None:
    """The next 8-byte aligned container start after padding, or None."""
    needle = struct.pack("<I", MAGIC)
    while pos < end:
        chunk = read(pos, min(_SCAN_STEP, end - pos))
        if not chunk:
            return None
        i = chunk.find(needle)
        while i >= 0 and (pos + i) % 8:
            i = chunk.find(needle, i + 1)
        if i >= 0:
            return pos + i
        if chunk.strip(b"\0"):
            return None  # not padding: stop rather than guess
        pos += len(chunk)
    return None


def scan(read: Reader) -> FatbinTargets | None:
    """Targets of a library's ``.nv_fatbin`` section; None when it has none (no device code)."""
    where = find_section(read)
    if where is None:
        return None
    return walk(read, *where)


def scan_file(host, path: str) -> FatbinTargets | None:
    return scan(lambda off, size: host.read_at(path, off, size))
