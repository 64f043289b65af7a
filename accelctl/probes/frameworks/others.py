"""The other accelerator packages: version, variant, and what they pin or were built against.

Each is read from its metadata with the shared reader, then one small rule per
family names the runtime: a local version tag (``+cu124``, ``+rocm6.2``,
``+xpu``), a CUDA major in the distribution name (``cupy-cuda12x``,
``tensorrt-cu12``), pins on NVIDIA or Intel runtime wheels, paddle's
``.postXYZ`` CUDA tag, or the family itself (libtpu, torch-neuronx). Packages
compiled against one torch (vllm, xformers, torchvision, torchaudio,
intel-extension-for-pytorch, torch-neuronx) keep that ``torch==`` pin in ``pins``
and whether it holds in ``pins_ok``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import replace

from accelctl.host.base import Host, HostError
from accelctl.inventory.python_env import Distribution, FrameworkInfo, PythonEnvironment
from accelctl.probes.frameworks import fatbin
from accelctl.probes.frameworks.common import MarkerEnv, base_info, extra_pins, norm, runtime_from_local, split_local
from accelctl.probes.frameworks.cuda_wheels import runtime_from_pins, suffix_major

_EXTRAS = {"cupy-cuda11x": "ctk", "cupy-cuda12x": "ctk", "cupy-cuda13x": "ctk", "onnxruntime-gpu": "cuda"}
_FAMILY = {"libtpu": "tpu", "libtpu-nightly": "tpu", "torch-xla": "tpu", "torch-neuronx": "neuron",
           "pytorch-triton-rocm": "rocm", "pytorch-triton-xpu": "xpu", "paddlepaddle": "cpu"}
Unknown = Callable[[str, str], None]


def runtime_of(name: str, version: str, pins: dict[str, str], extras: dict[str, str]) -> tuple[str | None, str | None, str | None]:
    """(kind, version, source) of the runtime a package targets, from the strongest clue available."""
    _, local = split_local(version)
    kind, rt = runtime_from_local(local)
    if kind:
        return kind, rt, "local version tag"
    if name in _FAMILY:
        return _FAMILY[name], None, "package family"
    major = suffix_major(name)
    if major and name.startswith(("cupy-", "tensorrt-")):
        return "cuda", major, "distribution name (major only)"
    k, v, how = runtime_from_pins(pins)
    if k:
        return k, v, f"metadata pins ({how})"
    if name == "tensorrt":
        majors = sorted({m for n in pins if n.startswith("tensorrt-cu") and (m := suffix_major(n))})
        if len(majors) == 1:
            return "cuda", majors[0], "tensorrt-cuNN pin (major only)"
    k, v, how = runtime_from_pins(extras)
    if k:
        return k, v, f"pins of its extra ({how})"
    return None, None, None


def read_other(host: Host, env: PythonEnvironment, dist: Distribution, installed: dict[str, Distribution],
               menv: MarkerEnv, torch_info: FrameworkInfo | None, scan_fatbins: bool, unknown: Unknown) -> FrameworkInfo:
    name = norm(dist.name)
    info = base_info(dist, env, installed, menv)
    extras = extra_pins(dist, menv, _EXTRAS[name]) if name in _EXTRAS else {}
    if name == "onnxruntime-gpu":
        extras.update(extra_pins(dist, menv, "cudnn"))
    kind, rt, source = runtime_of(name, info.version, info.pins, extras)
    notes: list[str] = []
    if kind is None and name in ("torchvision", "torchaudio") and torch_info is not None and "torch" in info.pins:
        kind, rt, source = torch_info.runtime_kind, torch_info.runtime_version, "the torch it pins (no local tag)"
    if "torch" in info.pins:
        have = info.pins_installed.get("torch")
        notes.append(f"built against torch{info.pins['torch']}; installed torch {have or 'none'}")
    if name == "flash-attn" and not info.local_tag:
        notes.append("flash-attn's CUDA/torch build is named in its wheel file name only, not in the installed metadata")
    archs: list[str] = []
    ptx: list[str] = []
    archs_source = archs_lib = None
    if scan_fatbins and name in ("flash-attn", "xformers", "vllm") and dist.location:
        archs, ptx, archs_source, archs_lib = _scan_extension(host, posixpath.dirname(dist.location), name, unknown)
    return replace(info, runtime_kind=kind, runtime_version=rt, runtime_source=source, extra_pins=extras,
                   variant=info.local_tag or (f"cu{rt.replace('.', '')}" if kind == "cuda" and rt and "." in rt
                                               else (None if kind == "cuda" else kind)),
                   variant_source="local version tag" if info.local_tag else source, notes=notes,
                   compiled_archs=archs, compiled_ptx=ptx, archs_source=archs_source, archs_library=archs_lib)


_EXTENSION = {"flash-attn": ("flash_attn_2_cuda", "flash_attn_3"), "xformers": ("xformers/_C",), "vllm": ("vllm/_C",)}


def _scan_extension(host: Host, site: str, name: str, unknown: Unknown):
    """Fatbin targets of the first compiled CUDA extension of a package found in site-packages."""
    for stem in _EXTENSION.get(name, ()):
        folder, _, prefix = stem.rpartition("/")
        where = posixpath.join(site, folder) if folder else site
        try:
            entries = host.list_dir(where)
        except HostError:
            continue
        for e in entries:
            if e.name.startswith(prefix) and e.name.endswith(".so"):
                path = posixpath.join(where, e.name)
                try:
                    found = fatbin.scan_file(host, path)
                except (HostError, fatbin.FatbinError) as exc:
                    unknown(f"{name}.compiled_archs", f"fatbin scan of {path} failed: {exc}")
                    return [], [], None, None
                if found is not None:
                    return found.sm(), found.compute(), "fatbin scan", path
    return [], [], None, None
