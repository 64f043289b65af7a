"""vLLM releases on PyPI: the exact torch they pin and what CUDA that implies.

vLLM's compiled kernels are built against one torch release, pinned exactly in
the wheel's Requires-Dist (``torch==X``); running it with another torch fails at
import or with missing operators. The PyPI wheel carries no CUDA tag, so the
CUDA variant recorded here is the one of the pinned torch's PyPI wheel (from
that torch's METADATA). Used by the framework pin rules (torch/vllm mismatch).
"""

from __future__ import annotations

from dataclasses import field

from packaging.version import Version

from accelctl.matrices.base import SPECIFIER, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record


@record(frozen=True)
class VllmRelease:
    """One vllm release and the pins of its PyPI wheel."""

    vllm: str = field(metadata={"kind": VERSION})
    python: str | None = field(default=None, metadata={"kind": SPECIFIER})  # Requires-Python
    torch: str | None = field(default=None, metadata={"kind": VERSION})  # exact torch pin (torch==X)
    torchvision: str | None = field(default=None, metadata={"kind": VERSION})
    torchaudio: str | None = field(default=None, metadata={"kind": VERSION})
    flashinfer: str | None = field(default=None, metadata={"kind": VERSION})  # flashinfer-python==X
    xformers: str | None = field(default=None, metadata={"kind": VERSION})  # xformers==X (none in these releases)
    # CUDA of the pinned torch's PyPI wheel (its cuda-toolkit / nvidia-*-cuNN pins), e.g. "13.0".
    cuda: str | None = field(default=None, metadata={"kind": VERSION})
    cuda_major: int | None = None
    cudnn: str | None = field(default=None, metadata={"kind": VERSION})  # nvidia-cudnn pin of that torch
    wheel: str | None = None  # file name of the PyPI wheel whose METADATA was read
    provenance: Provenance = UNSOURCED


def _check(entries: list[VllmRelease], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        v = Version(e.vllm)
        if v in seen:
            errors.add(i, "vllm", f"duplicate release {e.vllm}")
        seen.add(v)
        if e.cuda and e.cuda_major is not None and Version(e.cuda).major != e.cuda_major:
            errors.add(i, "cuda_major", f"{e.cuda_major} does not match cuda {e.cuda}")


SPEC: MatrixSpec[VllmRelease] = MatrixSpec(name="vllm", entry_type=VllmRelease, check=_check, key=lambda e: e.vllm)


def release(entries: list[VllmRelease], vllm: str) -> VllmRelease | None:
    """The entry for exactly this vllm version, or None."""
    want = Version(vllm)
    for e in entries:
        if Version(e.vllm) == want:
            return e
    return None


def torch_pin_for_vllm(entries: list[VllmRelease], vllm: str) -> str | None:
    """The exact torch version ``vllm`` pins, or None when unknown."""
    e = release(entries, vllm)
    return e.torch if e else None


def torch_matches(entries: list[VllmRelease], vllm: str, torch: str) -> bool | None:
    """Whether an installed torch (local tags like "+cu130" ignored) is the one vllm pins; None if unknown."""
    pin = torch_pin_for_vllm(entries, vllm)
    if pin is None:
        return None
    return Version(Version(torch).public) == Version(pin)


def vllm_for_torch(entries: list[VllmRelease], torch: str) -> list[str]:
    """vllm versions that pin this torch, newest first."""
    want = Version(Version(torch).public)
    found = [e.vllm for e in entries if e.torch and Version(e.torch) == want]
    return sorted(found, key=Version, reverse=True)


def cuda_major_for_vllm(entries: list[VllmRelease], vllm: str) -> int | None:
    """CUDA major of the PyPI build of ``vllm`` (through its torch pin), or None."""
    e = release(entries, vllm)
    return e.cuda_major if e else None
