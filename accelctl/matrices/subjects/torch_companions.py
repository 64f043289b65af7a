"""torch <-> torchvision <-> torchaudio release pairing.

Each entry lists the torchvision and torchaudio releases whose wheels pin exactly
this torch release (``torch==X`` in their PyPI METADATA). An empty list means no
such pinned release was found (the note says whether one exists without a pin).
"""

from __future__ import annotations

from dataclasses import field

from packaging.version import Version

from accelctl.matrices.base import UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record


@record(frozen=True)
class TorchCompanions:
    """The domain-library releases built for one torch release."""

    torch: str = field(metadata={"kind": VERSION})
    torchvision: list[str] = field(default_factory=list, metadata={"kind": VERSION})
    torchaudio: list[str] = field(default_factory=list, metadata={"kind": VERSION})
    provenance: Provenance = UNSOURCED


def _check(entries: list[TorchCompanions], errors: ErrorSink) -> None:
    seen: set[Version] = set()
    owner: dict[tuple[str, Version], str] = {}
    for i, e in enumerate(entries):
        if Version(e.torch) in seen:
            errors.add(i, "torch", f"duplicate torch release {e.torch}")
        seen.add(Version(e.torch))
        for lib in ("torchvision", "torchaudio"):
            for v in getattr(e, lib):
                if (lib, Version(v)) in owner:
                    errors.add(i, lib, f"{lib} {v} is already paired with torch {owner[(lib, Version(v))]}")
                owner[(lib, Version(v))] = e.torch


SPEC: MatrixSpec[TorchCompanions] = MatrixSpec(
    name="torch_companions",
    entry_type=TorchCompanions,
    check=_check,
    key=lambda e: e.torch,
    description="torchvision / torchaudio releases paired with each torch release.",
)


def _public(version: str) -> Version:
    return Version(version.strip().partition("+")[0])


def companions_for(entries: list[TorchCompanions], torch: str) -> TorchCompanions | None:
    """The pairing entry of a torch release ("2.5.1" or "2.5.1+cu124"), or None when not recorded."""
    want = _public(torch)
    for e in entries:
        if Version(e.torch) == want:
            return e
    return None


def torch_for(entries: list[TorchCompanions], library: str, version: str) -> str | None:
    """The torch release a torchvision/torchaudio release pins ("0.20.1+cu124" -> "2.5.1")."""
    if library not in ("torchvision", "torchaudio"):
        raise ValueError(f"library must be torchvision or torchaudio, got {library!r}")
    want = _public(version)
    for e in entries:
        if any(Version(v) == want for v in getattr(e, library)):
            return e.torch
    return None


def is_matching(entries: list[TorchCompanions], torch: str, library: str, version: str) -> bool | None:
    """Whether ``library`` ``version`` is the release paired with ``torch``; None when either is unknown."""
    paired = torch_for(entries, library, version)
    if paired is None or companions_for(entries, torch) is None:
        return None
    return Version(paired) == _public(torch)
