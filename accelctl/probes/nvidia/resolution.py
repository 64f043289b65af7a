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

For a ``dlopen`` the object that needs the library is the caller: the object
whose code calls ``dlopen`` (glibc elf/dl-open.c, ``_dl_find_dso_for_object`` of
the caller's address). An object that has DT_RUNPATH has its DT_RPATH ignored
(elf/get-dynamic-info.h), and if the object asking has DT_RUNPATH no DT_RPATH of
any loader is searched at all; otherwise the walk up the chain of loaders skips
the objects with a RUNPATH and goes on to their own loaders (``l_loader``),
ending with the executable's DT_RPATH.

``simulate`` plays a sequence of loads through that search (dependencies
breadth first, as ``_dl_map_object_deps`` maps them; a soname or file already in
the process is reused, a different file named by path is mapped as a second
copy) and says for each library which file it gets and why.
"""

from __future__ import annotations

import posixpath
from collections import deque
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
    why: str = ""  # the search step that matched, in words


def expand(entry: str, origin_dir: str, arch: str = "x86_64") -> str:
    """Expand $ORIGIN / ${ORIGIN} / $LIB in one RPATH/RUNPATH entry and normalise the result."""
    out = entry.replace("${ORIGIN}", origin_dir).replace("$ORIGIN", origin_dir)
    lib = _LIB.get(arch, "lib64")
    out = out.replace("${LIB}", lib).replace("$LIB", lib)
    return posixpath.normpath(out) if out.startswith("/") else out


Step = tuple[str, str, str | None, str]  # (directory, via, the object whose entry it is, the entry as written)


def search_steps(requester: LoadedObject | None, loaders: Sequence[LoadedObject], env: Mapping[str, str],
                 arch: str = "x86_64") -> list[Step]:
    """The directories ld.so tries, in order, with the object and entry each comes from (cache excluded)."""
    steps: list[Step] = []
    chain = ([requester] if requester else []) + list(loaders)
    if requester is None or not requester.runpath:
        for obj in chain:
            if obj.runpath:
                continue  # its DT_RPATH is ignored, but the walk goes on to its loader
            origin = posixpath.dirname(obj.path)
            steps.extend((expand(p, origin, arch), "RPATH", obj.path, p) for p in obj.rpath if p)
    for p in env.get("LD_LIBRARY_PATH", "").replace(";", ":").split(":"):
        if p:
            steps.append((p, "LD_LIBRARY_PATH", None, p))
    if requester is not None:
        origin = posixpath.dirname(requester.path)
        steps.extend((expand(p, origin, arch), "RUNPATH", requester.path, p) for p in requester.runpath if p)
    return steps


def search_dirs(requester: LoadedObject | None, loaders: Sequence[LoadedObject], env: Mapping[str, str],
                arch: str = "x86_64") -> list[tuple[str, str]]:
    """(directory, via) in the order ld.so tries them, cache excluded (it is not a directory)."""
    return [(folder, via) for folder, via, _, _ in search_steps(requester, loaders, env, arch)]


def explain(step: Step | None, via: str | None, requester: LoadedObject | None, path: str | None,
            loaders: Sequence[LoadedObject] = ()) -> str:
    """Why the loader takes this file: the search step that matched, and what it outranked."""
    name = posixpath.basename(requester.path) if requester else "the program"
    unused_rpath = next((posixpath.basename(o.path) for o in loaders if o.rpath and not o.runpath), None)
    if via is None or path is None:
        return "no search step finds it"
    if via == "already loaded":
        return f"a library of that soname is already in the process ({path}): the first copy loaded wins"
    if via in ("path", "LD_PRELOAD"):
        return "named by its path" if via == "path" else "LD_PRELOAD loads it before anything else"
    if step is None:
        runpath = f"; DT_RUNPATH of {name} is searched before it" if requester and requester.runpath else ""
        return f"not in any RPATH, LD_LIBRARY_PATH or RUNPATH folder{runpath}: {via} names {path}"
    folder, _, owner, entry = step
    owner_name = posixpath.basename(owner) if owner else name
    if via == "RPATH":
        inherited = "" if requester and owner == requester.path else \
            f", inherited by {name} (DT_RPATH passes down to what an object loads, DT_RUNPATH does not)"
        return f"DT_RPATH of {owner_name} ({entry}) ranks above LD_LIBRARY_PATH{inherited}"
    if via == "LD_LIBRARY_PATH":
        if requester and requester.runpath:
            rpath = f"; the DT_RPATH of {unused_rpath} is not inherited by an object with a DT_RUNPATH" \
                if unused_rpath else ""
            return f"LD_LIBRARY_PATH ({folder}) ranks above DT_RUNPATH of {name} ({':'.join(requester.runpath)}){rpath}"
        return f"LD_LIBRARY_PATH ({folder}) is searched before the default folders and ld.so.cache"
    return f"DT_RUNPATH of {owner_name} ({entry}); no LD_LIBRARY_PATH folder has it"


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
    matched: list[Step] = []

    def consider(path: str, via: str, step: Step | None = None) -> bool:
        nonlocal winner
        if any(path == c for c, _ in candidates) or not exists(path):
            return False
        candidates.append((path, via))
        if winner is None:
            winner = (path, via)
            matched.extend([step] if step else [])
        return not all_candidates

    def done() -> Resolved:
        path, via = winner if winner else (None, None)
        why = explain(matched[0] if matched else None, via, requester, path, loaders)
        return Resolved(soname, path, via, candidates, why)

    if loaded and soname in loaded:
        candidates.append((loaded[soname], "already loaded"))
        winner = (loaded[soname], "already loaded")
        if not all_candidates:
            return done()
    if "/" in soname:
        consider(soname, "path")
        return done()
    for step in search_steps(requester, loaders, env, arch):
        if consider(posixpath.join(step[0], soname), step[1], step):
            break
    else:
        hit = lookup(cache or [], soname, arch) if cache else None
        stop = bool(hit and consider(hit.path, "ld.so.cache"))
        if not stop:
            for folder in DEFAULT_DIRS.get(arch, DEFAULT_DIRS["x86_64"]):
                if consider(posixpath.join(folder, soname), "default dirs"):
                    break
    return done()


@record
class LoadRequest:
    """One dlopen a program or a library makes, by soname or by absolute path."""

    name: str
    caller: str | None = None  # the object whose code calls dlopen (its path); None: the program itself
    reason: str = ""  # why it happens, with its source ("torch/__init__.py _load_global_deps")
    owner: str = ""  # the framework (or LD_PRELOAD) the request belongs to


@record
class Load:
    """Where one library of a load sequence comes from, as the loader will decide."""

    name: str  # as asked for: a soname, or a path
    soname: str  # DT_SONAME of the file that loads (the name asked for when unreadable)
    path: str | None  # None: no search step finds it (dlopen fails)
    via: str | None  # already loaded | RPATH | LD_LIBRARY_PATH | RUNPATH | ld.so.cache | default dirs | path | LD_PRELOAD
    why: str  # the search step that matched, in words
    how: str  # NEEDED | dlopen | LD_PRELOAD
    requested_by: str | None = None  # the object whose NEEDED names it, or which dlopens it
    reason: str = ""  # the request it is part of
    candidates: list[tuple[str, str]] = field(default_factory=list)  # every copy the search passes, in order
    second_copy: bool = False  # a different file with a soname already loaded, mapped again because named by path
    requester_unreadable: bool = False  # the asking object's dynamic section was unreadable: its RPATH/RUNPATH unknown
    owner: str = ""  # the request's owner: whose load this is


class _Node:
    __slots__ = ("loader", "obj", "owner", "soname")

    def __init__(self, obj: LoadedObject, loader: _Node | None, soname: str, owner: str = "") -> None:
        self.obj, self.loader, self.soname, self.owner = obj, loader, soname, owner

    def chain(self) -> list[LoadedObject]:
        out: list[LoadedObject] = []
        at = self.loader
        while at is not None and len(out) < 64:
            out.append(at.obj)
            at = at.loader
        return out


class _Process:
    """The objects one process has mapped, by soname, name asked for and file."""

    def __init__(self, exists: Callable[[str], bool], read_dynamic: Callable[[str], ElfDynamic | None],
                 realpath: Callable[[str], str], env: Mapping[str, str], cache: list[CacheEntry] | None,
                 arch: str, executable: LoadedObject | None, followed: Callable[[str], bool]) -> None:
        self.exists, self.read_dynamic, self.realpath, self.followed = exists, read_dynamic, realpath, followed
        self.env, self.cache, self.arch, self.executable = env, cache, arch, executable
        self.by_name: dict[str, _Node] = {}
        self.by_file: dict[str, _Node] = {}
        self.loads: list[Load] = []
        self.reported: set[tuple[str, str]] = set()

    def load(self, name: str, asker: _Node | None, how: str, reason: str, owner: str) -> None:
        """One dlopen (or LD_PRELOAD entry) and, breadth first, the NEEDED entries of what it maps."""
        node = self.map(name, asker, how, reason, owner)
        queue = deque([node] if node is not None else [])
        while queue:
            parent = queue.popleft()
            for needed in parent.obj.dynamic.needed if parent.obj.dynamic else []:
                child = self.map(needed, parent, "NEEDED", reason, owner)
                if child is not None:
                    queue.append(child)

    def map(self, name: str, asker: _Node | None, how: str, reason: str, owner: str) -> _Node | None:
        """The object ``name`` maps to; a node only when it is newly mapped.

        Reuse is listed for a dlopen, and for a NEEDED entry that another owner's load brought in
        (the interesting case: one framework gets the copy another one, or LD_PRELOAD, loaded).
        """
        by = asker.obj.path if asker else None
        old = self.by_name.get(name) if "/" not in name else \
            (self.by_file.get(self.realpath(name)) if self.exists(name) else None)
        if old is not None:
            if how == "dlopen" or old.owner != owner and (owner, old.soname) not in self.reported:
                self.reported.add((owner, old.soname))
                self.loads.append(Load(name, old.soname, old.obj.path, "already loaded",
                                       explain(None, "already loaded", None, old.obj.path), how, by, reason,
                                       [(old.obj.path, "already loaded")], owner=owner))
            return None
        # a dlopen from the program comes from a module without paths of its own (ctypes, the import
        # machinery); the executable's DT_RPATH ends every RPATH walk (glibc searches the main map last)
        requester = asker.obj if asker else None
        loaders = (asker.chain() if asker else []) + ([self.executable] if self.executable else [])
        hit = resolve(name, self.exists, requester, loaders, self.env, self.cache, arch=self.arch,
                      all_candidates=self.followed(name))
        unreadable = requester is not None and requester.dynamic is None and "/" not in name
        via, why = hit.via, hit.why
        if how == "LD_PRELOAD" and hit.path:
            via, why = "LD_PRELOAD", explain(None, "LD_PRELOAD", None, hit.path)
        if hit.path is None:
            self.loads.append(Load(name, name, None, None, why, how, by, reason, hit.candidates,
                                   requester_unreadable=unreadable, owner=owner))
            return None
        real = self.realpath(hit.path)
        if real in self.by_file:  # another name for a file already mapped (glibc compares device and inode)
            self.by_name.setdefault(name, self.by_file[real])
            return None
        dyn = self.read_dynamic(hit.path)
        soname = (dyn.soname if dyn and dyn.soname else None) or posixpath.basename(name)
        node = _Node(LoadedObject(hit.path, dyn), asker, soname, owner)
        second = soname in self.by_name
        self.by_file[real] = node
        self.by_name.setdefault(soname, node)
        self.by_name.setdefault(name, node)
        self.loads.append(Load(name, soname, hit.path, via, why, how, by, reason, hit.candidates,
                               second_copy=second, requester_unreadable=unreadable, owner=owner))
        self.reported.add((owner, soname))
        return node


def simulate(requests: Sequence[LoadRequest], exists: Callable[[str], bool],
             read_dynamic: Callable[[str], ElfDynamic | None], env: Mapping[str, str] | None = None,
             cache: list[CacheEntry] | None = None, realpath: Callable[[str], str] = posixpath.normpath,
             arch: str = "x86_64", executable: LoadedObject | None = None,
             followed: Callable[[str], bool] = lambda name: True) -> list[Load]:
    """Play ``requests`` in order through the loader's rules; one Load per library mapped or not found.

    LD_PRELOAD entries load first. Each request is a dlopen: by path it maps that
    file (a second copy when another file of the same soname is already in);
    by soname it is searched with the caller as the asking object (a caller not
    yet loaded is read on its own, with no loaders above it). Each newly mapped
    object's NEEDED entries follow breadth first. A dlopen of a soname already
    in the process is listed as "already loaded"; a NEEDED one is not listed again.
    Every copy on the search path is listed (``candidates``) for the names ``followed``
    accepts; for the others the search stops at the first file, as the loader does.
    """
    env = env or {}
    proc = _Process(exists, read_dynamic, realpath, env, cache, arch, executable, followed)
    for item in env.get("LD_PRELOAD", "").replace(" ", ":").split(":"):
        if item:
            proc.load(item, None, "LD_PRELOAD", "LD_PRELOAD", "LD_PRELOAD")
    for req in requests:
        caller: _Node | None = None
        if req.caller is not None:
            caller = proc.by_file.get(realpath(req.caller))
            if caller is None:
                dyn = read_dynamic(req.caller)
                caller = _Node(LoadedObject(req.caller, dyn), None, (dyn.soname if dyn else None) or posixpath.basename(req.caller))
        proc.load(req.name, caller, "dlopen", req.reason, req.owner)
    return proc.loads
