"""The NVIDIA/CUDA library wheels of an environment, and which CUDA majors they belong to.

Up to CUDA 12 every library wheel carried its major in its name
(``nvidia-cudnn-cu12``). From CUDA 13 on, the CUDA toolkit components ship
without a suffix (``nvidia-cublas 13.1.0.3``, ``nvidia-cufft 12.0.0.61``) and are
tied together by the ``cuda-toolkit`` meta-package, whose extras pin each one
(PyPI: nvidia-cuda-runtime's first release is 13.0.48; nvidia-cufft's is 12.0.0.15,
the cuFFT of CUDA 13.0). So the major comes from, in order: a name suffix, the
component's own version where it tracks the CUDA version, the installed
cuda-toolkit's pins, and the environment's unsuffixed CUDA runtime.
"""

from __future__ import annotations

import re

from accelctl.inventory.python_env import CudaWheel, Distribution
from accelctl.probes.frameworks.common import norm, parse_requirement

_SUFFIX = re.compile(r"-cu(\d{2})$|-cuda(\d{2})x?$|-cuda(\d{2})\d$|-cu(\d{2})-")
# Unsuffixed components whose version starts with the CUDA major (cuda-toolkit 13.0.2's pins:
# nvidia-cublas 13.1.0.3, nvidia-cuda-runtime 13.0.96, nvidia-npp 13.0.1.2, nvidia-nvjpeg 13.0.1.86 ...).
TRACKS_CUDA = frozenset({
    "nvidia-cuda-runtime", "nvidia-cuda-nvrtc", "nvidia-cuda-cupti", "nvidia-nvjitlink", "nvidia-nvtx", "nvidia-cublas",
    "nvidia-cuda-nvcc", "nvidia-cuda-cccl", "nvidia-nvvm", "nvidia-cuda-crt", "nvidia-nvfatbin", "nvidia-nvptxcompiler",
    "nvidia-cuda-cuxxfilt", "nvidia-cuda-opencl", "nvidia-cuda-profiler-api", "nvidia-cuda-sanitizer-api",
    "nvidia-cuda-culibos", "nvidia-npp", "nvidia-nvml-dev", "nvidia-nvjpeg", "cuda-toolkit", "cuda-bindings", "cuda-python",
})
# Not CUDA library wheels, though their names look alike.
NOT_CUDA = frozenset({"nvidia-ml-py", "nvidia-ml-py3", "cuda-pathfinder", "cuda-core", "nvidia-pyindex"})


def suffix_major(name: str) -> str | None:
    """'nvidia-cudnn-cu12' -> '12', 'cupy-cuda13x' -> '13', 'jax-cuda12-plugin' -> '12'."""
    n = norm(name)
    m = _SUFFIX.search(n) or re.search(r"-cuda(\d{2})-", n)
    if not m:
        return None
    return next(g for g in m.groups() if g)


def is_cuda_wheel(name: str) -> bool:
    n = norm(name)
    if n in NOT_CUDA:
        return False
    return n.startswith(("nvidia-", "cuda-")) or suffix_major(n) is not None and n.startswith(("cupy-", "jax-cuda"))


def toolkit_majors(dists: dict[str, Distribution]) -> dict[str, str]:
    """Component name -> CUDA major, from every installed cuda-toolkit's Requires-Dist."""
    out: dict[str, str] = {}
    tk = dists.get("cuda-toolkit")
    if tk is None:
        return out
    major = tk.version.split(".", 1)[0]
    for line in tk.requires:
        req = parse_requirement(line)
        if req is not None:
            out[norm(req.name)] = major
    return out


def classify(name: str, version: str, from_toolkit: dict[str, str], runtime_major: str | None) -> tuple[str | None, str]:
    n = norm(name)
    major = suffix_major(n)
    if major:
        return major, "name suffix"
    if n in TRACKS_CUDA:
        return version.split(".", 1)[0], "version"
    if n in from_toolkit:
        return from_toolkit[n], "cuda-toolkit pin"
    if n.startswith("nvidia-") and runtime_major:
        return runtime_major, "unsuffixed CUDA runtime of this environment"
    return None, ""


def cuda_wheels(distributions: list[Distribution]) -> tuple[list[CudaWheel], list[str]]:
    """The CUDA library wheels installed, and the sorted CUDA majors they span."""
    dists = {norm(d.name): d for d in distributions}
    from_toolkit = toolkit_majors(dists)
    rt = dists.get("nvidia-cuda-runtime")
    runtime_major = rt.version.split(".", 1)[0] if rt else None
    out: list[CudaWheel] = []
    for d in sorted(distributions, key=lambda d: norm(d.name)):
        if not is_cuda_wheel(d.name):
            continue
        major, why = classify(d.name, d.version, from_toolkit, runtime_major)
        out.append(CudaWheel(name=norm(d.name), version=d.version, major=major, major_source=why))
    majors = sorted({w.major for w in out if w.major and norm(w.name).startswith(("nvidia-", "cuda-"))}, key=int)
    return out, majors


def runtime_from_pins(pins: dict[str, str]) -> tuple[str | None, str | None, str]:
    """(kind, version, how) of the runtime a wheel's pins name.

    ``nvidia-cuda-runtime-cu12==12.4.127`` -> ("cuda", "12.4"); ``cuda-toolkit==13.0.2`` -> ("cuda", "13.0");
    only suffixed library pins (``nvidia-cudnn-cu13``) -> ("cuda", "13") (major only);
    ``pytorch-triton-rocm`` -> ("rocm", None); Intel SYCL runtime pins -> ("xpu", None).
    """
    for name, spec in sorted(pins.items()):
        n = norm(name)
        if n in ("cuda-toolkit",) or re.fullmatch(r"nvidia-cuda-runtime(-cu\d+)?", n):
            m = re.search(r"==\s*(\d+)\.(\d+)", spec)
            if m:
                return "cuda", f"{m.group(1)}.{m.group(2)}", f"{n}{spec}"
    majors = sorted({major for n in pins if norm(n).startswith("nvidia-") and (major := suffix_major(n))})
    if len(majors) == 1:
        return "cuda", majors[0], f"nvidia-*-cu{majors[0]} pins (major only)"
    if any(norm(n).startswith("pytorch-triton-rocm") for n in pins):
        return "rocm", None, "pytorch-triton-rocm pin"
    if any(norm(n) in ("intel-sycl-rt", "intel-cmplr-lib-rt", "pytorch-triton-xpu") for n in pins):
        return "xpu", None, "Intel SYCL runtime pins"
    return None, None, ""
