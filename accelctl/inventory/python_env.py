"""Python interpreters, their environments and the distributions installed there."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional


@dataclass(frozen=True)
class Distribution:
    """One installed distribution, read from its *.dist-info / *.egg-info metadata."""

    name: str  # as in metadata (display form)
    version: str
    requires: List[str] = field(default_factory=list)  # Requires-Dist lines, verbatim
    requires_python: Optional[str] = None
    location: Optional[str] = None  # the metadata folder
    installer: Optional[str] = None  # pip, uv, conda ...
    wheel_tags: List[str] = field(default_factory=list)  # from WHEEL: cp312-cp312-manylinux_2_28_x86_64


@dataclass(frozen=True)
class FrameworkInfo:
    """What a framework distribution was built for and what it expects (derived, no import)."""

    name: str  # torch, jax, jaxlib, tensorflow, vllm ...
    version: str  # full version incl. local tag
    environment: str  # prefix of the environment it lives in
    variant: Optional[str] = None  # cu124, rocm6.2, xpu, cpu (or None: the release's default)
    variant_source: Optional[str] = None  # local version tag | metadata pins | matrix default
    runtime_kind: Optional[str] = None  # cuda | rocm | xpu | cpu | tpu | neuron
    runtime_version: Optional[str] = None  # 12.4, 6.2 ...
    pins: Dict[str, str] = field(default_factory=dict)  # requirement name -> specifier from Requires-Dist
    pins_installed: Dict[str, Optional[str]] = field(default_factory=dict)  # name -> installed version or None
    compiled_archs: List[str] = field(default_factory=list)  # sm_80, sm_90, gfx942 ...
    compiled_ptx: List[str] = field(default_factory=list)  # compute_90 ...
    archs_source: Optional[str] = None  # matrix | fatbin scan | unknown
    bundled_libraries: List[str] = field(default_factory=list)  # sonames inside the wheel
    wheel_tags: List[str] = field(default_factory=list)
    requires_python: Optional[str] = None
    source: str = ""


@dataclass(frozen=True)
class PythonEnvironment:
    """One interpreter with its environment (venv, conda env or system)."""

    interpreter: str  # path to python as given or found
    version: Optional[str] = None  # 3.12.3
    implementation: Optional[str] = None  # cpython, pypy
    kind: Optional[str] = None  # venv | conda | system | unknown
    prefix: Optional[str] = None
    site_packages: List[str] = field(default_factory=list)
    selected_because: str = ""  # --python, active venv, active conda, PATH ...
    distributions: List[Distribution] = field(default_factory=list)
    frameworks: List[FrameworkInfo] = field(default_factory=list)
    source: str = ""
