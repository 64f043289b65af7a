"""Framework facts that come from the matrices: torch's build and compiled architectures, jax plugins' CUDA.

torch: an official build's compiled GPU architectures are in the pytorch matrix
(torch.cuda.get_arch_list() of each published wheel); a release installed
without any build record (no local tag, no ``torch/version.py`` values, no
pins) is the PyPI default for its platform. Architectures read by a fatbin scan
are observations and are kept. jax: a ``jax-cudaNN-plugin`` names only the CUDA
major; the jax matrix knows the CUDA release it was built with.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from accelctl.inventory.common import Unknown
from accelctl.inventory.python_env import FrameworkInfo, PythonEnvironment

if TYPE_CHECKING:
    from accelctl.matrices import MatrixSet

PYTORCH_SOURCE = "pytorch matrix"
JAX_SOURCE = "jax matrix (built_with_cuda)"
_PLUGIN = re.compile(r"^jax-cuda(\d+)-plugin$")
_TORCH_PINNED = "the torch it pins (no local tag)"


def derive_environment(env: PythonEnvironment, matrices: MatrixSet, unknowns: list[Unknown]) -> PythonEnvironment:
    """``env`` with its frameworks' matrix-based facts (re)derived; unknowns it finds are appended to ``unknowns``."""
    out = list(env.frameworks)
    for i, fw in enumerate(out):
        if _norm(fw.name) == "torch":
            out[i] = torch_facts(fw, env.platform, matrices.entries_or_empty("pytorch"), unknowns)
            out = [_pinned_torch_runtime(f, out[i]) for f in out]
    if any(_PLUGIN.match(_norm(f.name)) for f in out):
        out = jax_facts(out, matrices.entries_or_empty("jax"))
    return dataclasses.replace(env, frameworks=out) if out != env.frameworks else env


def torch_facts(fw: FrameworkInfo, env_platform: str | None, entries: list[Any], unknowns: list[Unknown]) -> FrameworkInfo:
    from accelctl.matrices.subjects import pytorch

    public, local = pytorch.split_local(fw.version)
    platform = fw.platform or env_platform or "x86_64"
    kind, variant = fw.runtime_kind, fw.variant
    exact = pytorch.entry(entries, public, variant) if entries and variant else None
    default = (pytorch.default_variant(entries, public, platform if platform in pytorch.PLATFORMS else "x86_64")
               if entries else None)
    changes: dict[str, Any] = {}
    if kind is None and default is not None:
        kind, variant = default.runtime_kind, default.variant
        changes.update(runtime_kind=kind, runtime_version=default.runtime_version, variant=variant,
                       variant_source=f"matrix default on {platform}",
                       runtime_source=f"pytorch matrix ({default.variant} is the PyPI default on {platform})")
    notes = list(fw.notes)
    if not local and default is not None and variant and default.variant != variant:
        note = f"the PyPI default of torch {public} on {platform} is {default.variant}, this build is {variant}"
        if note not in notes:
            notes.append(note)
    build = exact or (default if default is not None and default.variant == variant else None)

    archs, ptx, archs_source = fw.compiled_archs, fw.compiled_ptx, fw.archs_source
    if not archs_source or archs_source.startswith(PYTORCH_SOURCE):  # not observed: (re)derive from the matrix
        archs, ptx, archs_source = [], [], None
        matrix_archs, matrix_ptx = pytorch.archs_for(build, platform) if build is not None else (None, [])
        if build is not None and kind == "rocm" and build.gfx_list:
            archs, archs_source = list(build.gfx_list), f"{PYTORCH_SOURCE} ({build.torch}+{build.variant})"
        elif build is not None and matrix_archs:
            archs = [f"sm_{a.replace('.', '')}" for a in matrix_archs]
            ptx = [f"compute_{a.replace('.', '')}" for a in matrix_ptx]
            wheel = ", aarch64 wheel" if platform == "aarch64" else ""
            archs_source = f"{PYTORCH_SOURCE} ({build.torch}+{build.variant}{wheel})"
    if kind == "cuda" and not archs_source:
        why = "not recorded in the pytorch matrix" if build is not None else "not an official build in the pytorch matrix"
        unknown = Unknown("frameworks", "torch.compiled_archs",
                          f"torch {fw.version}: {why}; run with --scan-fatbins to read them from libtorch_cuda.so")
        if unknown not in unknowns:
            unknowns.append(unknown)
    return dataclasses.replace(fw, compiled_archs=list(archs), compiled_ptx=list(ptx), archs_source=archs_source,
                               notes=notes, **changes)


def _pinned_torch_runtime(fw: FrameworkInfo, torch: FrameworkInfo) -> FrameworkInfo:
    """torchvision/torchaudio without a build record of their own take the runtime of the torch they pin."""
    if fw.runtime_source == _TORCH_PINNED and fw.runtime_kind is None and torch.runtime_kind is not None:
        return dataclasses.replace(fw, runtime_kind=torch.runtime_kind, runtime_version=torch.runtime_version)
    return fw


def jax_facts(frameworks: list[FrameworkInfo], entries: list[Any]) -> list[FrameworkInfo]:
    """CUDA plugins get the CUDA release they were built with; jaxlib follows the plugin it runs on."""
    from accelctl.matrices.subjects import jax as jax_matrix

    jax = next((f for f in frameworks if _norm(f.name) == "jax"), None)
    out: list[FrameworkInfo] = []
    for fw in frameworks:
        m = _PLUGIN.match(_norm(fw.name))
        if m is None or fw.runtime_source not in (_plugin_source(fw), JAX_SOURCE):
            out.append(fw)
            continue
        rt_version, rt_source = m.group(1), _plugin_source(fw)
        stack = None
        if entries:
            try:
                stack = jax_matrix.plugin_pins(entries, (jax or fw).version, int(m.group(1)))
            except Exception:  # noqa: BLE001 - a release the matrix cannot compare is simply not in it
                stack = None
        if stack is not None and getattr(stack, "built_with_cuda", None):
            rt_version, rt_source = stack.built_with_cuda, JAX_SOURCE
        out.append(dataclasses.replace(fw, runtime_version=rt_version, runtime_source=rt_source))
    plugins = {f"installed plugin {f.name}": f for f in out if _PLUGIN.match(_norm(f.name))}
    return [dataclasses.replace(f, runtime_version=plugins[f.runtime_source].runtime_version)
            if _norm(f.name) == "jaxlib" and f.runtime_source in plugins else f for f in out]


def _plugin_source(fw: FrameworkInfo) -> str:
    return f"plugin name ({_norm(fw.name)}; major only)"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
