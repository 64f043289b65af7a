"""Which copy of each CUDA library torch and jax really load: the loader model played on this host.

For every environment with a CUDA torch or jax, the model plays what ``import``
does (``loadplans``), the sub-libraries cuDNN's shim dlopens, and both import
orders when both frameworks are there (the first copy of a soname wins). Each
library is compared with the copy the framework gets in a clean environment
(no LD_LIBRARY_PATH, LD_PRELOAD or PYTHONPATH): a different file is a shadowing copy.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable, Mapping
from typing import Any

from accelctl.host.base import HostError
from accelctl.inventory.nvidia import LibraryResolution
from accelctl.probes.base import ProbeContext
from accelctl.probes.nvidia import libraries as libs
from accelctl.probes.nvidia.elf import ElfDynamic, ElfError, read_elf_dynamic
from accelctl.probes.nvidia.ldcache import CacheEntry
from accelctl.probes.nvidia.loadplans import (
    FRAMEWORK_REQUESTS,
    JAX_PLUGIN_DIRS,
    TORCH_CUDA,
    sub_library_requests,
    torch_fallback_requests,
)
from accelctl.probes.nvidia.resolution import Load, LoadedObject, LoadRequest, simulate

_JAX_PLUGINS = ("jax-cuda13-plugin", "jax-cuda12-plugin", "jax-cuda13-pjrt", "jax-cuda12-pjrt")


class _Dynamics:
    """Dynamic sections read once per file; None where unreadable."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.seen: dict[str, ElfDynamic | None] = {}

    def __call__(self, path: str) -> ElfDynamic | None:
        if path not in self.seen:
            try:
                self.seen[path] = read_elf_dynamic(self.host, path)
            except (ElfError, HostError):
                self.seen[path] = None
        return self.seen[path]


def frameworks_in(site: str, penv: Any, exists: Callable[[str], bool]) -> list[str]:
    """The CUDA frameworks of this site-packages whose loading the model knows, in a fixed order."""
    names = {d.name.lower().replace("_", "-") for d in penv.distributions}
    out = []
    if exists(posixpath.join(site, TORCH_CUDA)):
        out.append("torch")
    if names & set(_JAX_PLUGINS) or any(exists(posixpath.join(site, p, "xla_cuda_plugin.so")) for p in JAX_PLUGIN_DIRS):
        out.append("jax")
    return out


def play(order: tuple[str, ...], site: str, exists: Callable[[str], bool], dynamics: _Dynamics,
         env: Mapping[str, str], cache: list[CacheEntry], realpath: Callable[[str], str],
         listdir: Callable[[str], list[str]], is_dir: Callable[[str], bool] | None = None,
         executable: LoadedObject | None = None) -> list[Load]:
    """The loads of importing ``order`` in one process, then the first cuDNN call (its sub-libraries)."""
    requests: list[LoadRequest] = []
    path_first = [p for p in env.get("PYTHONPATH", "").split(":") if p.startswith("/")]
    for fw in order:
        mine = [dataclasses.replace(r, owner=fw) for r in FRAMEWORK_REQUESTS[fw](site, exists, path_first, is_dir, listdir)]
        if fw == "torch" and mine and _global_deps_fail(requests + mine[:1], exists, dynamics, env, cache, realpath,
                                                        executable):
            mine = [dataclasses.replace(r, owner=fw) for r in torch_fallback_requests(site, listdir)] + mine
        requests += mine
    loads = simulate(requests, exists, dynamics, env, cache, realpath, executable=executable, followed=_followed)
    first: dict[str, str] = {}
    for load in loads:
        if load.path and load.via != "already loaded":
            first.setdefault(load.soname, load.path)
    subs = [dataclasses.replace(r, owner=order[-1]) for r in sub_library_requests(first)]
    if not subs:
        return loads
    return simulate(requests + subs, exists, dynamics, env, cache, realpath, executable=executable, followed=_followed)


def _interpreter(penv: Any, realpath: Callable[[str], str], dynamics: _Dynamics) -> LoadedObject | None:
    """The environment's python as the program: its DT_RPATH ends every RPATH walk (conda's $ORIGIN/../lib)."""
    path = realpath(penv.interpreter) if getattr(penv, "interpreter", None) else None
    dynamic = dynamics(path) if path else None
    return LoadedObject(path, dynamic) if path and dynamic else None


def _followed(name: str) -> bool:
    """Libraries whose every copy on the search path is listed: the ones findings name."""
    return libs.family_of(name) is not None


def _global_deps_fail(requests: list[LoadRequest], exists: Callable[[str], bool], dynamics: _Dynamics,
                      env: Mapping[str, str], cache: list[CacheEntry], realpath: Callable[[str], str],
                      executable: LoadedObject | None) -> bool:
    """Whether libtorch_global_deps.so (the last request) would fail to load for want of a CUDA library."""
    last = requests[-1].name
    loads = simulate(requests, exists, dynamics, env, cache, realpath, executable=executable, followed=lambda name: False)
    return any(x.path is None and libs.family_of(x.name) for x in loads if x.requested_by == last or x.name == last)


def by_soname(loads: list[Load], owner: str) -> dict[str, Load]:
    """The first load of each followed library that ``owner`` asked for."""
    out: dict[str, Load] = {}
    for load in loads:
        if load.owner == owner and libs.family_of(load.soname):
            out.setdefault(load.soname, load)
    return out


class _Host:
    """The host's answers the model asks again and again, each asked once."""

    def __init__(self, host: Any, exists: Callable[[str], bool], scan: libs.LibraryScanner,
                 cache: list[CacheEntry]) -> None:
        self.host, self.exists, self.scan, self.cache = host, exists, scan, cache
        self.dynamics = _Dynamics(host)
        self.env = dict(host.env)
        # the environment the framework's own copies are found in: no search overrides
        self.clean = {k: v for k, v in self.env.items() if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD", "PYTHONPATH")}
        self._real: dict[str, str] = {}
        self._versions: dict[str, str | None] = {}
        self._plays: dict[tuple[str, tuple[str, ...], bool], list[Load]] = {}

    def realpath(self, path: str) -> str:
        if path not in self._real:
            self._real[path] = self.host.realpath(path)
        return self._real[path]

    def version(self, path: str | None, library: str, penv: Any) -> str | None:
        if not path:
            return None
        real = self.realpath(path)
        if real not in self._versions:
            found = self.scan.found.get(real)
            self._versions[real] = found.version if found else \
                self.scan.describe(path, library, libs.origin_of(real, []), dists=penv.distributions).version
        return self._versions[real]

    def listdir(self, folder: str) -> list[str]:
        try:
            return [e.name for e in self.host.list_dir(folder) if not e.is_dir]
        except HostError:
            return []

    def played(self, site: str, order: tuple[str, ...], pinned: bool, executable: LoadedObject | None) -> list[Load]:
        """One play per order and environment (``pinned``: the environment without the search overrides)."""
        key = (site, order, pinned or self.clean == self.env)
        if key not in self._plays:
            self._plays[key] = play(order, site, self.exists, self.dynamics, self.clean if key[2] else self.env,
                                    self.cache, self.realpath, self.listdir, self.host.is_dir, executable)
        return self._plays[key]


def resolution(h: _Host, load: Load, want: Load | None, order: tuple[str, ...], penv: Any) -> LibraryResolution:
    """One library of ``order[-1]``: the copy it gets (``load``) beside the one it gets on its own, unshadowed."""
    library = libs.family_of(load.soname) or ""
    got = h.realpath(load.path) if load.path else None
    pinned = h.realpath(want.path) if want and want.path else None
    # an unreadable asking object leaves the search order open where copies compete
    copies = {h.realpath(p) for x in (load, want) if x is not None for p, _ in x.candidates}
    blind = [x.requested_by for x in (load, want) if x is not None and x.requester_unreadable]
    undecided = (f"the dynamic section of {blind[0]} is unreadable, and its RPATH/RUNPATH decides "
                 f"which of {len(copies)} copies loads") if blind and len(copies) > 1 else None
    return LibraryResolution(
        consumer=order[-1], library=library, soname=load.soname, resolved_path=got,
        resolved_version=h.version(load.path, library, penv), resolved_via=load.via,
        expected_path=pinned, expected_version=h.version(pinned, library, penv),
        shadowed=bool(got and pinned and got != pinned and not undecided),
        candidates=[f"{p} ({v})" for p, v in load.candidates],
        source=f"{load.how} of {posixpath.basename(load.requested_by)}" if load.requested_by else load.how,
        requested_by=load.requested_by, framework_note=load.reason or None, why=load.why, how=load.how,
        expected_via=want.via if want else None, loaded_after=list(order[:-1]), undecided=undecided,
        candidate_versions={h.realpath(p): h.version(p, library, penv) for p, _ in load.candidates})


def probe_resolutions(ctx: ProbeContext, cache: list[CacheEntry], exists: Callable[[str], bool],
                      scan: libs.LibraryScanner, penvs: list[Any]) -> list[LibraryResolution]:
    """Every followed library of each CUDA framework, alone and in each import order, per environment."""
    h = _Host(ctx.host, exists, scan, cache)
    noted: set[str] = set()
    out: list[LibraryResolution] = []
    for penv in penvs:
        for site in penv.site_packages:
            present = frameworks_in(site, penv, exists)
            python = _interpreter(penv, h.realpath, h.dynamics)
            torch_cuda = posixpath.join(site, TORCH_CUDA)
            if "torch" in present and h.dynamics(torch_cuda) is None:
                ctx.unknown("nvidia.resolution.torch", f"{torch_cuda}: dynamic section unreadable")
            orders = [(fw,) for fw in present] + ([tuple(present), tuple(reversed(present))] if len(present) > 1 else [])
            for order in orders:
                pinned = by_soname(h.played(site, (order[-1],), True, python), order[-1])
                for soname, load in by_soname(h.played(site, order, False, python), order[-1]).items():
                    if load.requester_unreadable and load.requested_by and load.requested_by not in noted:
                        noted.add(load.requested_by)
                        ctx.unknown(f"nvidia.resolution.{order[-1]}.{posixpath.basename(load.requested_by)}",
                                    f"{load.requested_by}: dynamic section unreadable, so its RPATH/RUNPATH is unknown; "
                                    "its loads are predicted as if it had neither")
                    out.append(resolution(h, load, pinned.get(soname), order, penv))
    return out
