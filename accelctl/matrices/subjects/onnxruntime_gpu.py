"""onnxruntime-gpu releases: the CUDA and cuDNN they need, and the CUDA major of the PyPI wheel.

Older releases are described by the requirements table of the CUDA Execution
Provider page (onnxruntime.ai); from 1.21 the wheel METADATA carries ``cuda``
and ``cudnn`` extras that pin the NVIDIA wheels (nvidia-cuda-runtime-cuNN~=NN.0,
nvidia-cudnn-cuNN~=9.0), which name the CUDA major the PyPI wheel was built for.
Used by the library rules (onnxruntime-gpu vs the node's CUDA/cuDNN).
"""

from __future__ import annotations

from dataclasses import field

from packaging.version import Version

from accelctl.matrices.base import SPECIFIER, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record


@record(frozen=True)
class OrtGpuRelease:
    """One onnxruntime-gpu release (or a minor series, e.g. "1.19" for all 1.19.x)."""

    onnxruntime: str = field(metadata={"kind": VERSION})
    series: bool = False  # True when the entry covers every patch release of its minor series
    pypi_cuda_major: int | None = None  # CUDA major of the onnxruntime-gpu wheel on PyPI
    cuda: str | None = None  # CUDA the docs table names for the PyPI build ("12.x", "11.8")
    cudnn: str | None = None  # cuDNN the docs table names ("9.x", "8.2.4")
    cuda_majors_built: list[int] = field(default_factory=list)  # CUDA majors with official builds (PyPI or elsewhere)
    requires_python: str | None = field(default=None, metadata={"kind": SPECIFIER})
    # nvidia-* pins of the wheel's 'cuda' and 'cudnn' extras (package -> specifier); empty before 1.21.
    extras: dict[str, str] = field(default_factory=dict)
    provenance: Provenance = UNSOURCED


def _check(entries: list[OrtGpuRelease], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        key = (Version(e.onnxruntime), e.series)
        if key in seen:
            errors.add(i, "onnxruntime", f"duplicate entry {e.onnxruntime}")
        seen.add(key)
        if e.pypi_cuda_major is not None and e.cuda_majors_built and e.pypi_cuda_major not in e.cuda_majors_built:
            errors.add(i, "pypi_cuda_major", "the PyPI CUDA major must be one of cuda_majors_built")


SPEC: MatrixSpec[OrtGpuRelease] = MatrixSpec(
    name="onnxruntime_gpu",
    entry_type=OrtGpuRelease,
    check=_check,
    key=lambda e: e.onnxruntime + (".x" if e.series else ""),
)


def release(entries: list[OrtGpuRelease], version: str) -> OrtGpuRelease | None:
    """The exact release entry, else the series entry covering it, else None."""
    want = Version(version)
    for e in entries:
        if not e.series and Version(e.onnxruntime) == want:
            return e
    for e in entries:
        if e.series and Version(e.onnxruntime).release[:2] == want.release[:2]:
            return e
    return None


def pypi_cuda_major(entries: list[OrtGpuRelease], version: str) -> int | None:
    """CUDA major the PyPI onnxruntime-gpu wheel of ``version`` targets, or None."""
    e = release(entries, version)
    return e.pypi_cuda_major if e else None


def cudnn_major(entries: list[OrtGpuRelease], version: str) -> int | None:
    """cuDNN major required by ``version`` (from the table or the cudnn extra), or None."""
    e = release(entries, version)
    if e is None:
        return None
    for name, spec in e.extras.items():
        if name.startswith("nvidia-cudnn"):
            return int(spec.lstrip("~=<>!").split(".")[0])
    if e.cudnn:
        return int(e.cudnn.split(".")[0])
    return None
