"""Python interpreters, their environments and the distributions installed there."""

from __future__ import annotations

from dataclasses import field

from accelctl.record import record


@record
class Distribution:
    """One installed distribution, read from its *.dist-info / *.egg-info metadata."""

    name: str  # as in metadata (display form)
    version: str
    requires: list[str] = field(default_factory=list)  # Requires-Dist lines, verbatim
    requires_python: str | None = None
    location: str | None = None  # the metadata folder
    installer: str | None = None  # pip, uv, conda ...
    wheel_tags: list[str] = field(default_factory=list)  # from WHEEL: cp312-cp312-manylinux_2_28_x86_64
    user_site: bool = False  # in the user's site-packages (pip install --user): imported before the environment's


@record
class CondaPackage:
    """One package of a conda environment's accelerator stack, from its conda-meta record."""

    name: str  # pytorch, cudatoolkit, cuda-version, cudnn, nccl ...
    version: str
    build: str  # the build string: py3.11_cuda12.1_cudnn8.9.2_0, cuda120_py311h..._300
    channel: str | None = None  # pytorch, conda-forge, pkgs/main; None when the record was unreadable
    build_cuda: str | None = None  # CUDA the build string names (12.1; "12" where only the major is given)
    build_cudnn: str | None = None  # cuDNN the build string names
    cpu_build: bool = False  # the build string says a CPU-only build
    cuda_depends: list[str] = field(default_factory=list)  # its CUDA dependencies: cuda-version >=12.0,<13 ...
    record: str | None = None  # the conda-meta file


@record
class FrameworkInfo:
    """What a framework distribution was built for and what it expects (derived, no import)."""

    name: str  # torch, jax, jaxlib, tensorflow, vllm ...
    version: str  # full version incl. local tag
    environment: str  # prefix of the environment it lives in
    variant: str | None = None  # cu124, rocm6.2, xpu, cpu (or None: the release's default)
    variant_source: str | None = None  # local version tag | metadata pins | matrix default
    runtime_kind: str | None = None  # cuda | rocm | xpu | cpu | tpu | neuron
    runtime_version: str | None = None  # 12.4, 6.2 ...
    pins: dict[str, str] = field(default_factory=dict)  # requirement name -> specifier from Requires-Dist
    pins_installed: dict[str, str | None] = field(default_factory=dict)  # name -> installed version or None
    compiled_archs: list[str] = field(default_factory=list)  # sm_80, sm_90, gfx942 ...
    compiled_ptx: list[str] = field(default_factory=list)  # compute_90 ...
    archs_source: str | None = None  # matrix | fatbin scan | unknown
    bundled_libraries: list[str] = field(default_factory=list)  # sonames inside the wheel
    wheel_tags: list[str] = field(default_factory=list)
    requires_python: str | None = None
    source: str = ""
    local_tag: str | None = None  # "cu130" of 2.11.0+cu130, as installed (torch/version.py or METADATA)
    runtime_source: str | None = None  # where runtime_kind/runtime_version came from
    pins_ok: dict[str, bool | None] = field(default_factory=dict)  # pin satisfied by the installed version (None: absent)
    extra_pins: dict[str, str] = field(default_factory=dict)  # pins of an extra it documents (tensorflow[and-cuda])
    glibc_floor: str | None = None  # "2.28" from the manylinux tag of its WHEEL (else from its libraries)
    glibc_floor_source: str | None = None  # "manylinux tag", or the library whose GLIBC_x.y needs set it
    platform: str | None = None  # x86_64 | aarch64, from its WHEEL tag
    related: dict[str, str] = field(default_factory=dict)  # companions released in lockstep -> installed version
    consistent: bool | None = None  # companions agree (jax/jaxlib/plugins); None when not applicable
    archs_library: str | None = None  # the library a fatbin scan read
    notes: list[str] = field(default_factory=list)  # how facts were inferred, what could not be


@record
class CudaWheel:
    """One installed NVIDIA/CUDA library wheel and the CUDA major it belongs to."""

    name: str
    version: str
    major: str | None = None  # "12", "13"; None when neither name nor version says
    major_source: str = ""  # name suffix | version | cuda-toolkit pin | cuda-runtime of the env


@record
class RequirementProblem:
    """An installed accelerator package whose Requires-Dist is not met (a focused ``pip check``)."""

    requirer: str
    requirer_version: str
    requirement: str  # the Requires-Dist line, marker dropped
    name: str  # required distribution (canonical)
    installed: str | None = None  # its installed version, None when missing
    kind: str = "conflict"  # missing | conflict


@record
class PythonEnvironment:
    """One interpreter with its environment (venv, conda env or system)."""

    interpreter: str  # path to python as given or found
    version: str | None = None  # 3.12.3
    implementation: str | None = None  # cpython, pypy
    kind: str | None = None  # venv | conda | system | unknown
    prefix: str | None = None
    site_packages: list[str] = field(default_factory=list)
    selected_because: str = ""  # --python, active venv, active conda, PATH ...
    distributions: list[Distribution] = field(default_factory=list)
    frameworks: list[FrameworkInfo] = field(default_factory=list)
    source: str = ""
    version_source: str | None = None  # pyvenv.cfg | patchlevel.h | interpreter name | conda-meta ...
    platform: str | None = None  # x86_64 | aarch64: wheel tags, else the interpreter's ELF header
    cuda_wheels: list[CudaWheel] = field(default_factory=list)
    cuda_majors: list[str] = field(default_factory=list)  # CUDA majors of the installed NVIDIA wheels
    requirement_problems: list[RequirementProblem] = field(default_factory=list)
    conda_packages: list[CondaPackage] = field(default_factory=list)  # a conda env's accelerator stack
    user_site: str | None = None  # the user site-packages Python adds, when it does and it exists
    user_site_off: str | None = None  # why Python leaves the user site-packages out (PYTHONNOUSERSITE, a venv)
