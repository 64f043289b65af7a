"""/etc/ld.so.cache read directly, the way ld.so reads it (no ``ldconfig -p``).

Two layouts exist (glibc elf/cache.c, sysdeps/generic/dl-cache.h):

* old, magic ``ld.so-1.7.0``: ``nlibs`` then 12-byte entries (flags, key, value);
  string offsets count from the end of the entry array;
* new, magic ``glibc-ld.so.cache`` + version ``1.1``: a 48-byte header (nlibs,
  len_strings, flags, extension_offset), then 24-byte entries (flags, key,
  value, osversion, hwcap); string offsets count from the start of this header.

Older glibc wrote both (old first, the new one aligned to 8 bytes after it);
glibc >= 2.32 writes only the new one. ld.so uses the new table when present.
"""

from __future__ import annotations

import struct

from accelctl.record import record

OLD_MAGIC = b"ld.so-1.7.0"
NEW_MAGIC = b"glibc-ld.so.cache1.1"

FLAG_TYPE_MASK = 0x00FF
FLAG_ELF_LIBC6 = 0x0003
FLAG_REQUIRED_MASK = 0xFF00
FLAG_X8664_LIB64 = 0x0300
FLAG_AARCH64_LIB64 = 0x0A00
DL_CACHE_HWCAP_EXTENSION = 1 << 62

# The flags an x86_64 / aarch64 ld.so accepts (sysdeps/.../dl-cache.h _dl_cache_check_flags).
ARCH_FLAGS = {"x86_64": FLAG_ELF_LIBC6 | FLAG_X8664_LIB64, "aarch64": FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64}


@record
class CacheEntry:
    soname: str
    path: str
    flags: int = 0
    hwcap: int = 0

    @property
    def arch(self) -> str | None:
        for name, flags in ARCH_FLAGS.items():
            if self.flags == flags:
                return name
        return None


class CacheFormatError(ValueError):
    pass


def _string(data: bytes, offset: int) -> str:
    if offset < 0 or offset >= len(data):
        raise CacheFormatError(f"string offset {offset} outside the file")
    end = data.find(b"\0", offset)
    if end < 0:
        end = len(data)
    return data[offset:end].decode("utf-8", errors="replace")


def _parse_new(data: bytes, base: int) -> list[CacheEntry]:
    if len(data) < base + 48:
        raise CacheFormatError("truncated header")
    flags_byte = data[base + 28]
    endian = ">" if flags_byte == 3 else "<"  # cache_file_new.flags: 2 little, 3 big endian
    nlibs, _len_strings = struct.unpack_from(endian + "II", data, base + 20)
    entries_at = base + 48
    if nlibs > (len(data) - entries_at) // 24:
        raise CacheFormatError(f"{nlibs} entries do not fit in {len(data)} bytes")
    out = []
    for i in range(nlibs):
        flags, key, value, _osv, hwcap = struct.unpack_from(endian + "iIIIQ", data, entries_at + 24 * i)
        out.append(CacheEntry(_string(data, base + key), _string(data, base + value), flags, hwcap))
    return out


def parse_ld_cache(data: bytes) -> list[CacheEntry]:
    """Every entry of an ld.so.cache, in file order (the order ld.so prefers among equal names)."""
    if data.startswith(NEW_MAGIC):
        return _parse_new(data, 0)
    if not data.startswith(OLD_MAGIC):
        raise CacheFormatError("not an ld.so.cache (unknown magic)")
    if len(data) < 16:
        raise CacheFormatError("truncated header")
    (nlibs,) = struct.unpack_from("<I", data, 12)
    entries_at = 16
    if nlibs > (len(data) - entries_at) // 12:
        raise CacheFormatError(f"{nlibs} old-format entries do not fit in {len(data)} bytes")
    end = entries_at + 12 * nlibs
    new_at = (end + 7) & ~7
    if data[new_at:new_at + len(NEW_MAGIC)] == NEW_MAGIC:
        return _parse_new(data, new_at)
    out = []
    for i in range(nlibs):
        flags, key, value = struct.unpack_from("<iII", data, entries_at + 12 * i)
        out.append(CacheEntry(_string(data, end + key), _string(data, end + value), flags))
    return out


def lookup(entries: list[CacheEntry], soname: str, arch: str | None = "x86_64") -> CacheEntry | None:
    """The entry ld.so takes for ``soname``: the first of that name whose flags suit this ld.so.

    Entries for glibc-hwcaps subdirectories (hwcap extension bit) are skipped: which
    of them ld.so prefers depends on the CPU, which a snapshot does not know.
    """
    want = ARCH_FLAGS.get(arch or "")
    for e in entries:
        if e.soname != soname or e.hwcap & DL_CACHE_HWCAP_EXTENSION:
            continue
        if want is None or e.flags == want or e.flags == FLAG_ELF_LIBC6 and arch is None:
            return e
    return None


