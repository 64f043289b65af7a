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


_MONOLITHIC = re.compile(r"^cuda(\d+)(?:\.cudnn(\d)(\d+))?$")


def monolithic_cuda(local: str | None) -> tuple[str, str | None] | None:
    """(CUDA, cuDNN) of a monolithic CUDA jaxlib's local version tag, None for any other tag.

    Before the CUDA plugins (jax 0.4.x and earlier) jaxlib itself was built for
    CUDA and named it in the tag: "cuda12.cudnn89" -> ("12", "8.9"),
    "cuda11.cudnn86" -> ("11", "8.6"), the older "cuda111" -> ("11.1", None).
    """
    m = _MONOLITHIC.match(local or "")
    if m is None:
        return None
    cuda = m.group(1)
    if len(cuda) >= 3:
        cuda = f"{cuda[:-1]}.{cuda[-1]}"
    return cuda, (f"{m.group(2)}.{m.group(3)}" if m.group(2) else None)


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
        local = split_local(jaxlib.version)[1]
        mono = monolithic_cuda(local)
        lib_kind: str | None
        lib_version: str | None
        lib_variant: str | None
        if cuda_plugins:
            last = out[-1]
            lib_kind, lib_version, lib_source, lib_variant = last.runtime_kind, last.runtime_version, f"installed plugin {last.name}", last.variant
        elif mono is not None:
            lib_kind, lib_version, lib_variant = "cuda", mono[0], local
            lib_source = f"local version tag (monolithic CUDA jaxlib, cuDNN {mono[1] or 'not named'})"
        elif "libtpu" in installed or "libtpu-nightly" in installed:
            lib_kind, lib_version, lib_source, lib_variant = "tpu", None, "libtpu installed", "tpu"
        elif (jaxlib.installer or "").strip().lower() == "conda":
            # conda-forge publishes CPU and CUDA builds of one jaxlib version; only the package's
            # build string (conda-meta), not its dist-info, says which.
            lib_kind, lib_version, lib_variant = None, None, None
            lib_source = "conda package: its conda build string says whether it is a CUDA build"
        else:
            lib_kind, lib_version, lib_variant = "cpu", None, "cpu"
            lib_source = "no accelerator plugin installed (jaxlib alone runs on the CPU)"
        out.append(replace(info, runtime_kind=lib_kind, runtime_version=lib_version, runtime_source=lib_source,
                           variant=lib_variant, variant_source=lib_source,
                           related=related, consistent=consistent, notes=list(notes)))
    return out
