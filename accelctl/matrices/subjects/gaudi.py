"""Intel Gaudi software releases: the PyTorch version, OSes and firmware each supports.

One entry per Intel Gaudi software (formerly SynapseAI) release, read from
its Support Matrix page on docs.habana.ai: the PyTorch release it is built
for, the operating-system versions, the accelerator generations the page
covers and the card firmware it names. Used by the Gaudi rules: installed
torch vs Gaudi software, OS vs release.
"""

from __future__ import annotations

from dataclasses import field

from packaging.version import InvalidVersion, Version

from accelctl.matrices.base import UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record


@record(frozen=True)
class GaudiRelease:
    """One Intel Gaudi software release."""

    gaudi_sw: str = field(metadata={"kind": VERSION})  # "1.21.0"
    pytorch: list[str] = field(default_factory=list)  # "2.6.0"; a page may give only "2.7"
    os: list[str] = field(default_factory=list)  # "Ubuntu 22.04.5", "RHEL 9.4", "SUSE 15.5"
    accelerators: list[str] = field(default_factory=list)  # "Gaudi", "Gaudi 2", "Gaudi 3"
    build: str | None = None  # software build number "1.17.0-495"
    firmware: dict[str, str] = field(default_factory=dict)  # card -> SPI firmware, "HL-325L": "1.17.0-fw-51.3.0"
    driver: str | None = None  # habanalabs driver version, where a source states it
    provenance: Provenance = UNSOURCED


def _check(entries: list[GaudiRelease], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        if e.gaudi_sw in seen:
            errors.add(i, "gaudi_sw", f"duplicate release {e.gaudi_sw}")
        seen.add(e.gaudi_sw)
        for v in e.pytorch:
            try:
                Version(v)
            except InvalidVersion:
                errors.add(i, "pytorch", f"not a version: {v!r}")


SPEC: MatrixSpec[GaudiRelease] = MatrixSpec(name="gaudi", entry_type=GaudiRelease, check=_check, key=lambda e: e.gaudi_sw)


def find(entries: list[GaudiRelease], gaudi_sw: str) -> GaudiRelease | None:
    """Exact release ("1.21.0"); a patch the matrix lacks ("1.21.1") falls back to its minor's entry."""
    try:
        want = Version(gaudi_sw)
    except InvalidVersion:
        return None
    exact = [e for e in entries if Version(e.gaudi_sw) == want]
    if exact:
        return exact[0]
    same = [e for e in entries if Version(e.gaudi_sw).release[:2] == want.release[:2]]
    return max(same, key=lambda e: Version(e.gaudi_sw)) if same else None


def supports_torch(entries: list[GaudiRelease], gaudi_sw: str, torch_version: str) -> bool | None:
    """Is this torch (major.minor, local tag ignored) the one the Gaudi release supports."""
    e = find(entries, gaudi_sw)
    if e is None or not e.pytorch:
        return None
    try:
        v = Version(Version(torch_version).public)
    except InvalidVersion:
        return None
    return any(Version(p).release[:2] == v.release[:2] for p in e.pytorch)
