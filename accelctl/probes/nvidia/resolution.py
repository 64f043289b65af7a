"""Which file the dynamic loader really opens for a soname, by glibc's search order.

glibc's ld.so (elf/dl-load.c ``_dl_map_object``, ld.so(8)) looks for a NEEDED
soname without a slash in this order, stopping at the first file that exists:

1. an object already loaded with that soname (LD_PRELOAD libraries load first);
2. DT_RPATH of the object that needs it, but only if that object has no
   DT_RUNPATH, then DT_RPATH of the object that loaded it, and so on up to the
   executable (each only if it has no DT_RUNPATH);
3. LD_LIBRARY_PATH (ignored for set-uid programs);
4. DT_RUNPATH of the object itself (never inherited by what it loads);
5. /etc/ld.so.cache;
6. the default directories (on Debian/Ubuntu multiarch builds the triplet
   directories come first), unless the object was linked with -z nodeflib.

``$ORIGIN`` (and ``${ORIGIN}``) in RPATH/RUNPATH is the directory of the object
that carries the entry; ``$LIB`` is lib64 or the multiarch directory. The
glibc-hwcaps subdirectories ld.so also probes are not modelled.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field

from accelctl.probes.nvidia.elf import ElfDynamic
from accelctl.probes.nvidia.ldcache import CacheEntry, lookup
from accelctl.record import record

DEFAULT_DIRS = {
    "x86_64": ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"),
    "aarch64": ("/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"),
}
_LIB = {"x86_64": "lib/x86_64-linux-gnu", "aarch64": "lib/aarch64-linux-gnu"}


@record
class LoadedObject:
    """An object in the load chain: its path and its dynamic section (None: unreadable)."""

    path: str
    dynamic: ElfDynamic | None = None

    @property
    def rpath(self) -> list[str]:
        return self.dynamic.rpath if self.dynamic else []

    @property
    def runpath(self) -> list[str]:
        return self.dynamic.runpath if self.dynamic else []


@record
class Resolved:
    soname: str
    path: str | None  # the file that loads, as found (not link-resolved)
    via: str | None  # already loaded | RPATH | LD_LIBRARY_PATH | RUNPATH | ld.so.cache | default dirs
    candidates: list[tuple[str, str]] = field(default_factory=list)  # (path, via) of every copy on the way, in order


def expand(entry: str, origin_dir: str, arch: str = "x86_64") -> str:
    """Expand $ORIGIN / ${ORIGIN} / $LIB in one RPATH/RUNPATH entry and normalise the result."""
    out = entry.replace("${ORIGIN}", origin_dir).replace("$ORIGIN", origin_dir)
    lib = _LIB.get(arch, "lib64")
    out = out.replace("${LIB}", lib).replace("$LIB", lib)
    return posixpath.normpath(out) if out.startswith("/") else out


def search_dirs(requester: LoadedObject | None, loaders: Sequence[LoadedObject], env: Mapping[str, str],
                arch: str = "x86_64") -> list[tuple[str, str]]:
    """(directory, via) in the order ld.so tries them, cache excluded (it is not a directory)."""
    dirs: list[tuple[str, str]] = []
    chain = ([requester] if requester else []) + list(loaders)
    if requester is None or not requester.runpath:
        for obj in chain:
            if obj.runpath:
                break  # glibc stops inheriting at an object with RUNPATH
            origin = posixpath.dirname(obj.path)
            dirs.extend((expand(p, origin, arch), "RPATH") for p in obj.rpath if p)
    for p in env.get("LD_LIBRARY_PATH", "").replace(";", ":").split(":"):
        if p:
            dirs.append((p, "LD_LIBRARY_PATH"))
    if requester is not None:
        origin = posixpath.dirname(requester.path)
        dirs.extend((expand(p, origin, arch), "RUNPATH") for p in requester.runpath if p)
    return dirs


def resolve(soname: str, exists: Callable[[str], bool], requester: LoadedObject | None = None,
            loaders: Sequence[LoadedObject] = (), env: Mapping[str, str] | None = None,
            cache: list[CacheEntry] | None = None, loaded: dict[str, str] | None = None,
            arch: str = "x86_64", all_candidates: bool = True) -> Resolved:
    """Where ``soname`` comes from for ``requester``; ``exists(path)`` asks the host.

    ``loaded`` maps sonames already in the process (LD_PRELOAD, earlier dlopens)
    to their paths: those win before any search. With ``all_candidates`` the walk
    continues past the winner, so shadowed copies are listed too.
    """
    env = env or {}
    candidates: list[tuple[str, str]] = []
    winner: tuple[str, str] | None = None

    def consider(path: str, via: str) -> bool:
        nonlocal winner
        if any(path == c for c, _ in candidates) or not exists(path):
            return False
        candidates.append((path, via))
        if winner is None:
            winner = (path, via)
        return not all_candidates

    if loaded and soname in loaded:
        candidates.append((loaded[soname], "already loaded"))
        winner = (loaded[soname], "already loaded")
        if not all_candidates:
            return Resolved(soname, winner[0], winner[1], candidates)
    if "/" in soname:
        consider(soname, "path")
        return Resolved(soname, winner[0] if winner else None, winner[1] if winner else None, candidates)
    for folder, via in search_dirs(requester, loaders, env, arch):
        if consider(posixpath.join(folder, soname), via):
            break
    else:
        hit = lookup(cache or [], soname, arch) if cache else None
        stop = bool(hit and consider(hit.path, "ld.so.cache"))
        if not stop:
            for folder in DEFAULT_DIRS.get(arch, DEFAULT_DIRS["x86_64"]):
                if consider(posixpath.join(folder, soname), "default dirs"):
                    break
    return Resolved(soname, winner[0] if winner else None, winner[1] if winner else None, candidates)


def preload_map(env: Mapping[str, str], exists: Callable[[str], bool]) -> dict[str, str]:
    """LD_PRELOAD entries that exist, by their file name (a good stand-in for the soname)."""
    out: dict[str, str] = {}
    for item in env.get("LD_PRELOAD", "").replace(" ", ":").split(":"):
        if item.startswith("/") and exists(item):
            out.setdefault(posixpath.basename(item), item)
    return out
