"""Which CUDA major an installed NVIDIA library wheel belongs to: a query over a Python environment.

Rules (LIB003) and fix plans (removing the other major's wheels) both ask it.
"""

from __future__ import annotations

import re

from accelctl.inventory.python_env import PythonEnvironment
from accelctl.names import canonical_name

_CUDA_MAJOR_SUFFIX = re.compile(r"-cu(\d+)$")
# Unsuffixed CUDA 13-era wheels whose own major version *is* the CUDA major (nvidia-cublas 13.1.0.3).
_CUDA_VERSIONED = {"nvidia-cuda-runtime", "nvidia-cuda-nvrtc", "nvidia-cuda-cupti", "nvidia-nvjitlink", "nvidia-cublas",
                   "nvidia-nvtx", "nvidia-cuda-nvcc", "cuda-toolkit"}


def cuda_major_of_wheel(name: str) -> str | None:
    """'nvidia-cudnn-cu12' -> '12'; None for names without a CUDA-major suffix."""
    m = _CUDA_MAJOR_SUFFIX.search(canonical_name(name))
    return m.group(1) if m else None


def cuda_major_of(name: str, version: str) -> str:
    """The CUDA major a CUDA wheel belongs to, or '' when its name and version do not say."""
    major = cuda_major_of_wheel(name)
    if major:
        return major
    if canonical_name(name) in _CUDA_VERSIONED:
        return version.split(".", 1)[0]
    return ""


def wheels_by_cuda_major(env: PythonEnvironment) -> dict[str, list[str]]:
    """'NAME VERSION' of the environment's CUDA library wheels, by the CUDA major each belongs to."""
    by_major: dict[str, list[str]] = {}
    for d in env.distributions:
        n = canonical_name(d.name)
        if not (n.startswith("nvidia-") or n == "cuda-toolkit") or n in ("nvidia-ml-py", "nvidia-ml-py3"):
            continue
        major = cuda_major_of(n, d.version)
        if major:
            by_major.setdefault(major, []).append(f"{d.name} {d.version}")
    return by_major
