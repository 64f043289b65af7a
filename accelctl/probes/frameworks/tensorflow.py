"""tensorflow: the CUDA it was built with, and the NVIDIA wheels its ``and-cuda`` extra pins.

A TensorFlow wheel records its build in ``tensorflow/python/platform/build_info.py``
(``'cuda_version': '12.5.1'``, ``'cudnn_version': '9'``, ``'is_cuda_build': True``);
that file is read as text when present. The ``tensorflow[and-cuda]`` extra pins
the exact NVIDIA wheels TensorFlow was tested with; they are kept as
``extra_pins`` (documented expectations), not as hard pins, because TensorFlow
also runs on a system CUDA installation.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace

from accelctl.host.base import Host, HostError
from accelctl.inventory.python_env import Distribution, FrameworkInfo, PythonEnvironment
from accelctl.probes.frameworks.common import MarkerEnv, base_info, norm
from accelctl.probes.frameworks.cuda_wheels import runtime_from_pins

_ITEM = re.compile(r"['\"](\w+)['\"]\s*:\s*(?:['\"]([^'\"]*)['\"]|(True|False))")


def parse_build_info(text: str) -> dict[str, str]:
    """Key/values of build_info.py's dict: {"cuda_version": "12.5.1", "is_cuda_build": "True", ...}."""
    return {m.group(1): (m.group(2) if m.group(2) is not None else m.group(3)) for m in _ITEM.finditer(text)}


def read_tensorflow(host: Host, env: PythonEnvironment, dist: Distribution, installed: dict[str, Distribution],
                    menv: MarkerEnv) -> FrameworkInfo:
    info = base_info(dist, env, installed, menv)
    from accelctl.probes.frameworks.common import extra_pins

    extras = extra_pins(dist, menv, "and-cuda")
    build: dict[str, str] = {}
    if dist.location:
        path = posixpath.join(posixpath.dirname(dist.location), "tensorflow", "python", "platform", "build_info.py")
        try:
            build = parse_build_info(host.read_text(path, 64 << 10))
        except HostError:
            build = {}
    kind: str | None = None
    version: str | None = None
    source: str | None = None
    if build.get("is_cuda_build") == "True" and build.get("cuda_version"):
        m = re.match(r"(\d+)\.(\d+)", build["cuda_version"])
        kind, version, source = "cuda", (f"{m.group(1)}.{m.group(2)}" if m else build["cuda_version"]), "build_info.py"
    elif build.get("is_rocm_build") == "True":
        kind, version, source = "rocm", build.get("rocm_version") or None, "build_info.py"
    elif build.get("is_cuda_build") == "False":
        kind, source = "cpu", "build_info.py"
    elif norm(dist.name) == "tensorflow-cpu":
        kind, source = "cpu", "distribution name"
    elif norm(dist.name) == "tensorflow-rocm":
        kind, source = "rocm", "distribution name"
    else:
        k, v, how = runtime_from_pins(extras)
        if k:
            kind, version, source = k, v, f"tensorflow[and-cuda] pins ({how})"
    notes = []
    if build.get("cudnn_version"):
        notes.append(f"built with cuDNN {build['cudnn_version']} (build_info.py)")
    return replace(info, runtime_kind=kind, runtime_version=version, runtime_source=source, extra_pins=extras,
                   variant=(f"cu{version.replace('.', '')}" if kind == "cuda" and version else kind),
                   variant_source=source, notes=notes)
