"""jax, jaxlib and their accelerator plugins: versions that must agree, and the CUDA they expect.

jaxlib and the ``jax-cudaNN-plugin`` / ``jax-cudaNN-pjrt`` pair are released
in lockstep (the ``jax[cudaNN]`` extra pins all of them to one version); jax
itself pins a jaxlib range. The CUDA libraries a plugin wants are the pins of
its ``with-cuda`` extra (``nvidia-cudnn-cu13<10.0,>=9.12.0.46`` ...); the plugin's
name gives the CUDA major, and ``accelctl.derive`` adds the release it was built
with from the jax matrix.
"""

from __future__ import annotations

import re
from dataclasses import replace

from accelctl.inventory.python_env import Distribution, FrameworkInfo, PythonEnvironment
from accelctl.probes.frameworks.common import MarkerEnv, base_info, extra_pins, norm, satisfied, split_local

_PLUGIN = re.compile(r"^jax-(cuda|rocm)(\d+)-(plugin|pjrt)$")


def _plugins(installed: dict[str, Distribution]) -> list[Distribution]:
    return [d for n, d in sorted(installed.items()) if _PLUGIN.match(n)]


def read_jax(env: PythonEnvironment, installed: dict[str, Distribution], menv: MarkerEnv) -> list[FrameworkInfo]:
    jax, jaxlib = installed.get("jax"), installed.get("jaxlib")
    plugins = _plugins(installed)
    related = {norm(d.name): d.version for d in [jax, jaxlib, *plugins, installed.get("libtpu")] if d is not None}
    notes: list[str] = []
    ok = True
    if jax is not None and jaxlib is not None:
        spec = base_info(jax, env, installed, menv).pins.get("jaxlib")
        if spec and satisfied(spec, jaxlib.version) is False:
            ok = False
            notes.append(f"jax {jax.version} requires jaxlib{spec}, jaxlib {jaxlib.version} is installed")
    for p in plugins:
        if jaxlib is not None and split_local(p.version)[0] != split_local(jaxlib.version)[0]:
            ok = False
            notes.append(f"{norm(p.name)} {p.version} is not jaxlib's release {jaxlib.version}")
    for p in plugins:
        for name, spec in base_info(p, env, installed, menv).pins.items():
            if _PLUGIN.match(name) and satisfied(spec, installed[name].version if name in installed else None) is not True:
                ok = False
                have = installed[name].version if name in installed else "nothing"
                notes.append(f"{norm(p.name)} {p.version} requires {name}{spec}, {have} is installed")
    consistent = ok if (jaxlib is not None and (jax is not None or plugins)) else None

    out: list[FrameworkInfo] = []
    if jax is not None:
        out.append(replace(base_info(jax, env, installed, menv), related=related, consistent=consistent, notes=list(notes)))
    cuda_plugins = [p for p in plugins if _PLUGIN.match(norm(p.name)).group(3) == "plugin"]  # type: ignore[union-attr]
    for p in cuda_plugins:
        m = _PLUGIN.match(norm(p.name))
        family, major = m.group(1), m.group(2)  # type: ignore[union-attr]
        info = base_info(p, env, installed, menv)
        extras = {**extra_pins(p, menv, "with-cuda"), **extra_pins(p, menv, "with_cuda")}
        kind = "cuda" if family == "cuda" else "rocm"
        rt_version, rt_source = major, f"plugin name ({norm(p.name)}; major only)"
        out.append(replace(info, variant=f"{family}{major}", variant_source="plugin name", runtime_kind=kind,
                           runtime_version=rt_version, runtime_source=rt_source, extra_pins=extras,
                           related=related, consistent=consistent))
    if jaxlib is not None:
        info = base_info(jaxlib, env, installed, menv)
        jaxlib_kind: str | None
        version: str | None
        if cuda_plugins:
            last = out[-1]
            jaxlib_kind, version, source = last.runtime_kind, last.runtime_version, f"installed plugin {last.name}"
        elif "libtpu" in installed or "libtpu-nightly" in installed:
            jaxlib_kind, version, source = "tpu", None, "libtpu installed"
        else:
            jaxlib_kind, version, source = "cpu", None, "no accelerator plugin installed (jaxlib alone runs on the CPU)"
        out.append(replace(info, runtime_kind=jaxlib_kind, runtime_version=version, runtime_source=source,
                           variant=jaxlib_kind if jaxlib_kind in ("cpu", "tpu") else out[-1].variant, variant_source=source,
                           related=related, consistent=consistent, notes=list(notes)))
    return out
