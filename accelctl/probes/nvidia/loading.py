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


def probe_resolutions(ctx: ProbeContext, cache: list[CacheEntry], exists: Callable[[str], bool],
                      scan: libs.LibraryScanner, penvs: list[Any]) -> list[LibraryResolution]:
    host = ctx.host
    env = host.env
    clean = {k: v for k, v in env.items() if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD", "PYTHONPATH")}
    dynamics = _Dynamics(host)
    noted: set[str] = set()
    versions: dict[str, str | None] = {}
    out: list[LibraryResolution] = []

    def version(path: str | None, library: str, penv: Any) -> str | None:
        if not path:
            return None
        real = realpath(path)
        if real not in versions:
            found = scan.found.get(real)
            versions[real] = found.version if found else \
                scan.describe(path, library, libs.origin_of(real, []), dists=penv.distributions).version
        return versions[real]

    def listdir(folder: str) -> list[str]:
        try:
            return [e.name for e in host.list_dir(folder) if not e.is_dir]
        except HostError:
            return []

    realpaths: dict[str, str] = {}

    def realpath(path: str) -> str:
        if path not in realpaths:
            realpaths[path] = host.realpath(path)
        return realpaths[path]

    plays: dict[tuple[str, tuple[str, ...], bool], list[Load]] = {}

    def played(site: str, order: tuple[str, ...], pinned: bool, executable: LoadedObject | None) -> list[Load]:
        """One play per order and environment (the pinned one is the environment without the search overrides)."""
        key = (site, order, pinned or clean == dict(env))
        if key not in plays:
            plays[key] = play(order, site, exists, dynamics, clean if key[2] else env, cache, realpath, listdir,
                              host.is_dir, executable)
        return plays[key]

    for penv in penvs:
        for site in penv.site_packages:
            present = frameworks_in(site, penv, exists)
            python = _interpreter(penv, realpath, dynamics)
            torch_cuda = posixpath.join(site, TORCH_CUDA)
            if "torch" in present and dynamics(torch_cuda) is None:
                ctx.unknown("nvidia.resolution.torch", f"{torch_cuda}: dynamic section unreadable")
            orders = [(fw,) for fw in present] + ([tuple(present), tuple(reversed(present))] if len(present) > 1 else [])
            for order in orders:
                consumer = order[-1]
                loads = by_soname(played(site, order, False, python), consumer)
                pinned = by_soname(played(site, (consumer,), True, python), consumer)
                for soname, load in loads.items():
                    library = libs.family_of(soname) or ""
                    if load.requester_unreadable and load.requested_by and load.requested_by not in noted:
                        noted.add(load.requested_by)
                        ctx.unknown(f"nvidia.resolution.{consumer}.{posixpath.basename(load.requested_by)}",
                                    f"{load.requested_by}: dynamic section unreadable, so its RPATH/RUNPATH is unknown; "
                                    "its loads are predicted as if it had neither")
                    want = pinned.get(soname)
                    got_path = realpath(load.path) if load.path else None
                    want_path = realpath(want.path) if want and want.path else None
                    # an unreadable asking object leaves the search order open where copies compete
                    copies = {realpath(p) for x in (load, want) if x is not None for p, _ in x.candidates}
                    blind = [x.requested_by for x in (load, want) if x is not None and x.requester_unreadable]
                    undecided = (f"the dynamic section of {blind[0]} is unreadable, and its RPATH/RUNPATH decides "
                                 f"which of {len(copies)} copies loads") if blind and len(copies) > 1 else None
                    out.append(LibraryResolution(
                        consumer=consumer, library=library, soname=soname, resolved_path=got_path,
                        resolved_version=version(load.path, library, penv), resolved_via=load.via,
                        expected_path=want_path, expected_version=version(want_path, library, penv),
                        shadowed=bool(got_path and want_path and got_path != want_path and not undecided),
                        candidates=[f"{p} ({v})" for p, v in load.candidates],
                        source=f"{load.how} of {posixpath.basename(load.requested_by)}" if load.requested_by else load.how,
                        requested_by=load.requested_by, framework_note=load.reason or None, why=load.why, how=load.how,
                        expected_via=want.via if want else None, loaded_after=list(order[:-1]), undecided=undecided,
                        candidate_versions={realpath(p): version(p, library, penv) for p, _ in load.candidates}))
    return out
