"""Framework wheels of a Python environment: what they were built for, pin and bundle.

The python probe calls ``describe_frameworks`` on the environment it found; it
fills ``frameworks``, ``cuda_wheels``, ``cuda_majors``, ``platform`` and
``requirement_problems`` (the entry is replaced, never mutated). Nothing is imported from the
inspected environment: metadata, ``torch/version.py``-style build records and,
when asked, fatbin headers are read as files.
"""

from __future__ import annotations

import posixpath
from dataclasses import replace
from typing import Any

from accelctl.host.base import Host, HostError
from accelctl.inventory.python_env import FrameworkInfo, PythonEnvironment
from accelctl.probes.base import ProbeContext
from accelctl.probes.frameworks import jax as jax_reader
from accelctl.probes.frameworks import others, pipcheck, tensorflow
from accelctl.probes.frameworks import torch as torch_reader
from accelctl.probes.frameworks.common import MarkerEnv, by_name, tag_platform
from accelctl.probes.frameworks.cuda_wheels import cuda_wheels
from accelctl.probes.frameworks.names import JAX_FAMILY, OTHERS, TENSORFLOW, TORCH
from accelctl.probes.nvidia.elf import ElfError, read_elf_dynamic

_ELF_MACHINES = {62: "x86_64", 183: "aarch64", 21: "ppc64le", 22: "s390x"}


def interpreter_machine(host: Host, interpreter: str) -> str | None:
    """CPU architecture of the interpreter binary, from its ELF header (e_machine)."""
    try:
        head = host.read_at(host.realpath(interpreter), 0, 20)
    except (HostError, OSError):
        return None
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return None
    return _ELF_MACHINES.get(int.from_bytes(head[18:20], "little" if head[5] == 1 else "big"))


def env_platform(host: Host, env: PythonEnvironment) -> str | None:
    """The environment's CPU architecture: its wheels' platform tags, else its interpreter's ELF header."""
    counts: dict[str, int] = {}
    for d in env.distributions:
        p = tag_platform(d.wheel_tags)
        if p:
            counts[p] = counts.get(p, 0) + 1
    if counts:
        return max(sorted(counts), key=lambda p: counts[p])
    return interpreter_machine(host, env.interpreter)


def describe_frameworks(ctx: ProbeContext, env: PythonEnvironment) -> PythonEnvironment:
    host = ctx.host
    platform = env_platform(host, env)
    env = replace(env, platform=platform)
    menv = MarkerEnv(env.version, platform)
    installed = by_name(env)
    unknown = ctx.unknown
    out: list[FrameworkInfo] = []
    torch_info = None
    if TORCH in installed:
        torch_info = torch_reader.read_torch(host, env, installed[TORCH], installed, menv, ctx.options.scan_fatbins,
                                             unknown)
        out.append(torch_info)
    if any(n in installed for n in JAX_FAMILY):
        out.extend(jax_reader.read_jax(env, installed, menv))
    for name in TENSORFLOW:
        if name in installed:
            out.append(tensorflow.read_tensorflow(host, env, installed[name], installed, menv))
    for name in sorted(installed):
        if name in OTHERS:
            out.append(others.read_other(host, env, installed[name], installed, menv, torch_info,
                                         ctx.options.scan_fatbins, unknown))
    out = [_with_elf_glibc_floor(host, installed, fw) for fw in out]
    wheels, majors = cuda_wheels(env.distributions)
    return replace(env, frameworks=out, cuda_wheels=wheels, cuda_majors=majors,
                   requirement_problems=pipcheck.check(env.distributions, menv))


_MAX_ELF_FILES = 32


def _with_elf_glibc_floor(host: Host, installed: dict[str, Any], fw: FrameworkInfo) -> FrameworkInfo:
    """A framework whose wheel has no manylinux tag (a ``linux_*`` build, conda, a source build) declares
    no glibc floor: read it from the GLIBC_x.y symbol versions its own libraries need."""
    if fw.glibc_floor:
        return replace(fw, glibc_floor_source=fw.glibc_floor_source or "manylinux tag")
    dist = installed.get(fw.name)
    if dist is None or not dist.location:
        return fw
    if dist.wheel_tags and all(tag.endswith("-any") for tag in dist.wheel_tags):
        return fw  # a pure-Python wheel has no libraries of its own, so no glibc floor
    package = posixpath.join(posixpath.dirname(dist.location), fw.name.replace("-", "_"))
    best: tuple[tuple[int, int], str] | None = None
    checked = 0
    for folder in (package, posixpath.join(package, "lib")):
        try:
            entries = host.list_dir(folder, lambda n: ".so" in n)
        except HostError:
            continue
        for e in entries:
            if e.is_dir or e.is_symlink or checked >= _MAX_ELF_FILES:
                continue
            checked += 1
            path = posixpath.join(folder, e.name)
            try:
                need = read_elf_dynamic(host, path).glibc_needed()
            except (ElfError, HostError):
                continue
            if need is not None and (best is None or need > best[0]):
                best = (need, path)
    if best is None:
        return fw
    return replace(fw, glibc_floor=f"{best[0][0]}.{best[0][1]}", glibc_floor_source=best[1],
                   notes=list(fw.notes) + [f"glibc >= {best[0][0]}.{best[0][1]}: GLIBC symbol versions {best[1]} needs"])

