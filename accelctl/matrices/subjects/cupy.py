"""CuPy wheel packages and the CUDA versions they support.

CuPy ships one PyPI package per CUDA range (``cupy-cuda12x`` for any CUDA 12.x,
``cupy-cuda11x`` for 11.2-11.8, older per-minor names such as ``cupy-cuda102``)
and each CuPy major supports a stated list of CUDA Toolkit versions. Two kinds of
entries: ``package`` (a wheel name and its CUDA range) and ``release`` (a CuPy
major and its supported CUDA list), both from docs/source/install.rst at a tag.
Used by the library rules (installed cupy-cudaXX vs the node's CUDA driver/toolkit).
"""

from __future__ import annotations

from dataclasses import field

from accelctl.matrices.base import CC, UNSOURCED, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record

KINDS = ("package", "release")


@record(frozen=True)
class CupyEntry:
    """A CuPy wheel package (kind=package) or a CuPy major release (kind=release)."""

    kind: str
    name: str  # "cupy-cuda12x" for packages, "cupy-14" for releases
    cuda_major: int | None = None  # package: the CUDA major it targets
    cuda_min: str | None = None  # package: lowest CUDA major.minor, e.g. "11.2"
    cuda_max: str | None = None  # package: highest CUDA major.minor; null = any minor of cuda_major
    cupy_majors: list[int] = field(default_factory=list)  # package: CuPy majors whose docs list it
    cupy_major: int | None = None  # release: the CuPy major
    cuda_versions: list[str] = field(default_factory=list)  # release: supported CUDA Toolkit versions
    packages: list[str] = field(default_factory=list)  # release: wheel packages listed for it
    pythons: list[str] = field(default_factory=list)  # release: supported Python versions
    min_cc: str | None = field(default=None, metadata={"kind": CC})  # release: minimum compute capability
    provenance: Provenance = UNSOURCED


def _mm(v: str) -> tuple[int, int]:
    parts = v.split(".")
    return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0


def _check(entries: list[CupyEntry], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        if e.kind not in KINDS:
            errors.add(i, "kind", f"must be one of {', '.join(KINDS)}, got {e.kind!r}")
        if e.name in seen:
            errors.add(i, "name", f"duplicate entry {e.name}")
        seen.add(e.name)
        if e.kind == "package" and (e.cuda_major is None or e.cuda_min is None):
            errors.add(i, "cuda_min", "a package entry needs cuda_major and cuda_min")
        if e.kind == "release" and (e.cupy_major is None or not e.cuda_versions):
            errors.add(i, "cuda_versions", "a release entry needs cupy_major and cuda_versions")
        for v in [e.cuda_min, e.cuda_max, *e.cuda_versions]:
            if v is not None and not all(p.isdigit() for p in v.split(".")):
                errors.add(i, None, f"not a CUDA major.minor: {v!r}")
    names = {e.name for e in entries if e.kind == "package"}
    for i, e in enumerate(entries):
        for p in e.packages:
            if p not in names:
                errors.add(i, "packages", f"{p} has no package entry")


SPEC: MatrixSpec[CupyEntry] = MatrixSpec(name="cupy", entry_type=CupyEntry, check=_check, key=lambda e: e.name)


def package(entries: list[CupyEntry], name: str) -> CupyEntry | None:
    """The package entry for a wheel name such as "cupy-cuda12x" (case/underscore-insensitive)."""
    want = name.lower().replace("_", "-")
    for e in entries:
        if e.kind == "package" and e.name == want:
            return e
    return None


def cuda_for_cupy_package(entries: list[CupyEntry], name: str) -> tuple[str, str | None] | None:
    """(lowest, highest) CUDA major.minor a CuPy package supports; highest None = any minor of its major."""
    e = package(entries, name)
    return (e.cuda_min, e.cuda_max) if e and e.cuda_min else None


def package_supports_cuda(entries: list[CupyEntry], name: str, cuda: str) -> bool | None:
    """Whether CUDA ``cuda`` ("12.4", "12.4.1") is in the package's range; None for an unknown package."""
    e = package(entries, name)
    if e is None or e.cuda_min is None or e.cuda_major is None:
        return None
    have = _mm(cuda)
    if have[0] != e.cuda_major or have < _mm(e.cuda_min):
        return False
    return e.cuda_max is None or have <= _mm(e.cuda_max)


def package_for_cuda(entries: list[CupyEntry], cuda: str) -> list[str]:
    """CuPy package names whose range covers CUDA ``cuda``, newest CuPy first."""
    hits = [e for e in entries if e.kind == "package" and package_supports_cuda(entries, e.name, cuda)]
    hits.sort(key=lambda e: max(e.cupy_majors or [0]), reverse=True)
    return [e.name for e in hits]


def cuda_versions_for(entries: list[CupyEntry], cupy_major: int) -> list[str]:
    """CUDA Toolkit versions a CuPy major supports (empty when not recorded)."""
    for e in entries:
        if e.kind == "release" and e.cupy_major == cupy_major:
            return list(e.cuda_versions)
    return []
