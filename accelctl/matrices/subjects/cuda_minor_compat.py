"""CUDA minor-version compatibility: the driver floor per CUDA major, and its limits.

From CUDA 11 on, a program built with any toolkit of a CUDA major runs, with a
limited feature set, on any driver at or above that major's floor, even one
older than the toolkit's own "Toolkit Driver Version" (matrix ``cuda_toolkit``).
What does not work in that mode (PTX JIT of newer PTX, features that need the
newer driver) is listed per major. Used by the driver rules through
``compat_status``.
"""

from __future__ import annotations

from dataclasses import field

from packaging.version import InvalidVersion, Version

from accelctl.matrices.base import DRIVER, UNSOURCED, ErrorSink, MatrixSpec, Provenance, driver_key
from accelctl.matrices.subjects.cuda_toolkit import CudaToolkitRelease, min_driver_for
from accelctl.record import record

STATUSES = ("full", "minor-compat", "unsupported", "unknown")


@record(frozen=True)
class CompatLimit:
    """One thing that does not work under minor-version compatibility."""

    what: str  # short statement of the limit
    symptom: str | None = None  # the error a program sees, when the source names one
    remedy: str | None = None  # what the source says to do
    source: str = ""  # URL the limit was read from


@record(frozen=True)
class CudaMinorCompat:
    """Minor-version compatibility of one CUDA major (11, 12, 13)."""

    cuda_major: int
    # Lowest driver for minor-version compatibility across the whole major.
    min_driver_linux: str | None = field(default=None, metadata={"kind": DRIVER})
    min_driver_windows: str | None = field(default=None, metadata={"kind": DRIVER})
    # First driver branch past the range NVIDIA lists for this major ("< 580" -> "580"); newer drivers
    # still run the major's programs through ordinary backward compatibility. Null: open-ended.
    range_end_branch: str | None = field(default=None, metadata={"kind": DRIVER})
    limits: list[CompatLimit] = field(default_factory=list)
    provenance: Provenance = UNSOURCED


def _check(entries: list[CudaMinorCompat], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        if e.cuda_major in seen:
            errors.add(i, "cuda_major", f"duplicate CUDA major {e.cuda_major}")
        seen.add(e.cuda_major)
        if e.cuda_major < 11:
            errors.add(i, "cuda_major", "minor-version compatibility exists from CUDA 11 on")
        for j, limit in enumerate(e.limits):
            if not limit.source.startswith("http"):
                errors.add(i, f"limits[{j}].source", "each limit needs the URL it was read from")
        if e.range_end_branch and e.min_driver_linux and driver_key(e.range_end_branch) <= driver_key(e.min_driver_linux):
            errors.add(i, "range_end_branch", "the range must end above its floor")


SPEC: MatrixSpec[CudaMinorCompat] = MatrixSpec(name="cuda_minor_compat", entry_type=CudaMinorCompat, check=_check, key=lambda e: str(e.cuda_major))


def for_major(entries: list[CudaMinorCompat], major: int) -> CudaMinorCompat | None:
    """The entry of one CUDA major, or None."""
    for e in entries:
        if e.cuda_major == major:
            return e
    return None


def compat_status(
    entries_toolkit: list[CudaToolkitRelease],
    entries_minor: list[CudaMinorCompat],
    driver: str,
    cuda: str,
    os: str = "linux",
) -> str:
    """How a driver runs programs built with toolkit ``cuda`` ("12.4" = its GA, or "12.4.1").

    - ``full``: the driver meets the toolkit's full-feature minimum.
    - ``minor-compat``: below that minimum (or that minimum is not known) but at or
      above the major's minor-version floor: runs, with the entry's ``limits``.
    - ``unsupported``: below the floor (or a CUDA major older than 11).
    - ``unknown``: the driver or CUDA version does not parse, or neither the
      toolkit's minimum nor its major's floor is known.
    """
    try:
        have = driver_key(driver)
        major = Version(cuda.strip()).major
    except (ValueError, InvalidVersion):
        return "unknown"
    full = min_driver_for(entries_toolkit, cuda, os)
    if full is not None and have >= driver_key(full):
        return "full"
    if major < 11:
        return "unsupported" if full is not None else "unknown"
    minor = for_major(entries_minor, major)
    floor = getattr(minor, f"min_driver_{os}") if minor is not None else None
    if floor is None:
        return "unsupported" if full is not None and minor is not None else "unknown"
    return "minor-compat" if have >= driver_key(floor) else "unsupported"
