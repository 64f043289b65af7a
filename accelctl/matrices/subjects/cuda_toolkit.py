"""CUDA toolkit releases and the NVIDIA driver each needs for its full feature set.

One entry per row of the CUDA release notes' driver table ("CUDA Toolkit and
Corresponding Driver Versions"), CUDA 11.0 GA onwards, GA and update releases
alike. The minimum is the "Toolkit Driver Version": a driver at or above it runs
everything that toolkit offers. Older drivers of the same CUDA major may still
run the toolkit's programs with a reduced feature set (minor-version
compatibility, see ``cuda_minor_compat``).

From CUDA 13.4 the release notes give only the driver *branch* for 13.x
toolkits (R580 ... R615); such rows carry the branch number as the minimum
(e.g. ``"615"``: any R615 or later driver), which ``driver_key`` orders below
every 615.x.y release. Used by the driver rules (toolkit vs driver checks,
``compat_status`` in ``cuda_minor_compat``).
"""

from __future__ import annotations

import functools
from dataclasses import field

from packaging.version import InvalidVersion, Version

from accelctl.matrices.base import DATE, DRIVER, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance, driver_key
from accelctl.record import record

OSES = ("linux", "windows")


@record(frozen=True)
class CudaToolkitRelease:
    """One CUDA toolkit release (a row of the release notes' driver table)."""

    cuda: str = field(metadata={"kind": VERSION})  # "12.4.1"; update N of x.y is x.y.N (13.4: GA is 13.4.1)
    label: str  # the row as NVIDIA names it, e.g. "CUDA 12.4 Update 1"
    ga: bool = False  # the GA release of its minor (what "12.4" means)
    released: str | None = field(default=None, metadata={"kind": DATE})
    # "Toolkit Driver Version" (full features), Linux x86_64 / Windows x86_64; null when the table says N/A.
    min_driver_linux: str | None = field(default=None, metadata={"kind": DRIVER})
    min_driver_windows: str | None = field(default=None, metadata={"kind": DRIVER})
    driver_branch: str | None = None  # "R615": the corresponding driver branch, where the notes name one
    provenance: Provenance = UNSOURCED


@functools.lru_cache(maxsize=1024)
def _parsed(version: str) -> Version:
    """Matrix versions are few and checked on every snapshot: parse each once."""
    return Version(version)


def _minor(version: str) -> tuple:
    v = _parsed(version)
    return (v.major, v.minor)


def _check(entries: list[CudaToolkitRelease], errors: ErrorSink) -> None:
    seen: set[Version] = set()
    ga_of: dict[tuple[int, int], str] = {}
    for i, e in enumerate(entries):
        v = Version(e.cuda)
        if v in seen:
            errors.add(i, "cuda", f"duplicate release {e.cuda}")
        seen.add(v)
        if e.ga:
            key = _minor(e.cuda)
            if key in ga_of:
                errors.add(i, "ga", f"two GA releases for {key[0]}.{key[1]}: {ga_of[key]} and {e.cuda}")
            ga_of[key] = e.cuda
        if e.driver_branch is not None and not (e.driver_branch.startswith("R") and e.driver_branch[1:].isdigit()):
            errors.add(i, "driver_branch", f"expected a branch like 'R580', got {e.driver_branch!r}")
    for i, e in enumerate(entries):
        key = _minor(e.cuda)
        if key not in ga_of:
            errors.add(i, "ga", f"no GA entry for {key[0]}.{key[1]}")


SPEC: MatrixSpec[CudaToolkitRelease] = MatrixSpec(name="cuda_toolkit", entry_type=CudaToolkitRelease, check=_check, key=lambda e: e.cuda)


def _os_field(os: str) -> str:
    if os not in OSES:
        raise ValueError(f"os must be one of {OSES}, got {os!r}")
    return f"min_driver_{os}"


def find_release(entries: list[CudaToolkitRelease], cuda: str) -> CudaToolkitRelease | None:
    """The entry for ``cuda``: an exact release ("12.4.1") or a minor ("12.4" -> its GA entry).

    Returns None for versions that are not in the matrix or do not parse.
    """
    try:
        wanted = Version(cuda.strip())
    except InvalidVersion:
        return None
    if len(wanted.release) <= 2:
        key = (wanted.major, wanted.minor)
        for e in entries:
            if e.ga and _minor(e.cuda) == key:
                return e
        return None
    for e in entries:
        if _parsed(e.cuda) == wanted:
            return e
    return None


def min_driver_for(entries: list[CudaToolkitRelease], cuda: str, os: str = "linux") -> str | None:
    """Minimum driver for the full feature set of ``cuda`` on ``os`` ("linux" or "windows").

    "12.4.1" names that release; "12.4" names the GA release of 12.4. None when
    the release is unknown or the table gives no version for that OS (N/A).
    """
    e = find_release(entries, cuda)
    return getattr(e, _os_field(os)) if e is not None else None


def newest_cuda_for_driver(entries: list[CudaToolkitRelease], driver: str, os: str = "linux") -> str | None:
    """The highest toolkit release whose full-feature minimum ``driver`` meets on ``os``.

    Entries without a minimum for that OS are skipped. None when the driver
    meets none of them (or does not parse).
    """
    attr = _os_field(os)
    try:
        have = driver_key(driver)
    except ValueError:
        return None
    best: CudaToolkitRelease | None = None
    for e in entries:
        need = getattr(e, attr)
        if need is None or have < driver_key(need):
            continue
        if best is None or Version(e.cuda) > Version(best.cuda):
            best = e
    return best.cuda if best is not None else None


def cuda_max_for_driver(entries: list[CudaToolkitRelease], driver: str | None) -> str | None:
    """Highest CUDA (major.minor) whose full-feature driver minimum ``driver`` meets; None if unknown."""
    newest = newest_cuda_for_driver(entries, driver) if driver else None
    if not newest:
        return None
    try:
        v = Version(newest)
    except InvalidVersion:
        return None
    return f"{v.major}.{v.minor}"


def gpu_min_driver(toolkits: list[CudaToolkitRelease], arch_entries: list, cc: str) -> str | None:
    """The oldest driver that can drive a GPU of compute capability ``cc`` at all (None when unknown).

    Inferred, not read from a single table: support for a new architecture ships
    in the driver branch released with the first CUDA toolkit that can target it
    (sm_80 with CUDA 11.0 and R450, sm_90 with 11.8 and R520, sm_120 with 12.8 and
    R570), so that toolkit's minimum driver is the GPU's floor.
    """
    arch = next((e for e in arch_entries if str(getattr(e, "cc", "")) == cc), None)
    first = getattr(arch, "first_cuda", None) if arch is not None else None
    if not first:
        return None
    try:
        v = Version(first)
    except InvalidVersion:
        return None
    return min_driver_for(toolkits, f"{v.major}.{v.minor}")
