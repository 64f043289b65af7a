"""NVIDIA math/communication libraries: which CUDA majors each release supports, and their wheels.

Two kinds of entries:

- ``release``: one release of a library (cuDNN, NCCL, cuSPARSELt, TensorRT,
  cuBLAS) with one ``build`` per CUDA major it is published for: the CUDA
  minors the vendor's support matrix lists for that build, the minimum driver
  where stated, and the PyPI wheel (project and version) carrying it. For
  cuBLAS, ``cuda_toolkits`` names the CUDA toolkit releases that ship that
  cuBLAS (from the ``cuda-toolkit`` metapackage's pins on PyPI).
- ``wheel``: the PyPI project that carries a library for one CUDA major
  (``nvidia-cudnn-cu12``), with the oldest and newest versions PyPI lists.

Used by the library rules (wheel vs CUDA major, cuDNN vs driver) through
``cuda_majors_supported``, ``wheel_name`` and ``cublas_for_toolkit``.
"""

from __future__ import annotations

from dataclasses import field

from packaging.version import InvalidVersion, Version

from accelctl.matrices.base import DRIVER, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record

LIBRARIES = ("cudnn", "nccl", "cusparselt", "tensorrt", "cublas", "nvcc")  # nvcc: wheel entries only
KINDS = ("release", "wheel")
OSES = ("linux", "windows")


@record(frozen=True)
class CudaBuild:
    """A library release built for one CUDA major."""

    cuda_major: int
    # CUDA minors the support matrix lists for this build ("12.0" ... "12.6"); empty when it gives none.
    cuda_versions: list[str] = field(default_factory=list)
    min_driver_linux: str | None = field(default=None, metadata={"kind": DRIVER})
    min_driver_windows: str | None = field(default=None, metadata={"kind": DRIVER})
    wheel: str | None = None  # PyPI project: "nvidia-cudnn-cu12"
    wheel_version: str | None = field(default=None, metadata={"kind": VERSION})  # "9.10.2.21"
    note: str | None = None  # what distinguishes this build (e.g. "Blackwell-enabled build")


@record(frozen=True)
class LibraryEntry:
    """A library release, or the PyPI wheel project of a library for one CUDA major."""

    kind: str  # "release" | "wheel"
    library: str  # one of LIBRARIES
    # kind == "release"
    version: str | None = field(default=None, metadata={"kind": VERSION})  # "9.10.2"
    builds: list[CudaBuild] = field(default_factory=list)
    cuda_toolkits: list[str] = field(default_factory=list)  # cuBLAS: CUDA toolkit releases shipping it
    # kind == "wheel"
    cuda_major: int | None = None
    wheel: str | None = None  # "nvidia-cudnn-cu12"
    first_version: str | None = field(default=None, metadata={"kind": VERSION})
    last_version: str | None = field(default=None, metadata={"kind": VERSION})  # newest when read
    provenance: Provenance = UNSOURCED


def _key(e: LibraryEntry) -> str:
    if e.kind == "wheel":
        return f"{e.library} wheel cu{e.cuda_major}"
    return f"{e.library} {e.version}"


def _check(entries: list[LibraryEntry], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        if e.kind not in KINDS:
            errors.add(i, "kind", f"must be one of {', '.join(KINDS)}")
            continue
        if e.library not in LIBRARIES:
            errors.add(i, "library", f"must be one of {', '.join(LIBRARIES)}")
        k = _key(e)
        if k in seen:
            errors.add(i, None, f"duplicate entry {k}")
        seen.add(k)
        if e.kind == "release":
            if not e.version or not e.builds:
                errors.add(i, None, "a release needs 'version' and at least one build")
            for j, b in enumerate(e.builds):
                for v in b.cuda_versions:
                    try:
                        if Version(v).major != b.cuda_major:
                            errors.add(i, f"builds[{j}].cuda_versions", f"{v} is not CUDA {b.cuda_major}.x")
                    except InvalidVersion:
                        errors.add(i, f"builds[{j}].cuda_versions", f"not a version: {v!r}")
            for t in e.cuda_toolkits:
                try:
                    Version(t)
                except InvalidVersion:
                    errors.add(i, "cuda_toolkits", f"not a version: {t!r}")
        else:
            if e.cuda_major is None or not e.wheel:
                errors.add(i, None, "a wheel entry needs 'cuda_major' and 'wheel'")


SPEC: MatrixSpec[LibraryEntry] = MatrixSpec(name="nvidia_libraries", entry_type=LibraryEntry, check=_check, key=_key)


def releases(entries: list[LibraryEntry], library: str) -> list[LibraryEntry]:
    """Release entries of one library, oldest first."""
    out = [e for e in entries if e.kind == "release" and e.library == library and e.version]
    return sorted(out, key=lambda e: Version(e.version))  # type: ignore[arg-type]


def find_release(entries: list[LibraryEntry], library: str, version: str) -> LibraryEntry | None:
    """The release entry for ``version``.

    Exact release ("9.10.2"), or a longer wheel/package version of it
    ("9.10.2.21" -> 9.10.2), or a shorter prefix ("9.10" -> the newest 9.10.x
    in the matrix). None when unknown or unparsable.
    """
    try:
        want = Version(version.strip()).release
    except InvalidVersion:
        return None
    rels = releases(entries, library)
    for e in rels:
        if Version(e.version).release == want:  # type: ignore[arg-type]
            return e
    # a longer version of a listed release: the most specific listed prefix
    longer = [e for e in rels if want[: len(Version(e.version).release)] == Version(e.version).release]  # type: ignore[arg-type]
    if longer:
        return max(longer, key=lambda e: len(Version(e.version).release))  # type: ignore[arg-type]
    # a prefix of listed releases: the newest of them
    shorter = [e for e in rels if Version(e.version).release[: len(want)] == want]  # type: ignore[arg-type]
    return shorter[-1] if shorter else None


def cuda_majors_supported(entries: list[LibraryEntry], library: str, version: str) -> list[int]:
    """CUDA majors a library release is built for ([11, 12]); [] when the release is unknown."""
    e = find_release(entries, library, version)
    return sorted({b.cuda_major for b in e.builds}) if e is not None else []


def build_for(entries: list[LibraryEntry], library: str, version: str, cuda_major: int) -> CudaBuild | None:
    """The build of a release for one CUDA major (the first listed, if the matrix lists several)."""
    e = find_release(entries, library, version)
    if e is None:
        return None
    return next((b for b in e.builds if b.cuda_major == cuda_major), None)


def min_driver_for(entries: list[LibraryEntry], library: str, version: str, cuda_major: int, os: str = "linux") -> str | None:
    """Lowest minimum driver among the builds of a release for one CUDA major; None when not stated."""
    if os not in OSES:
        raise ValueError(f"os must be one of {OSES}, got {os!r}")
    from accelctl.matrices.base import driver_key

    e = find_release(entries, library, version)
    if e is None:
        return None
    mins = [getattr(b, f"min_driver_{os}") for b in e.builds if b.cuda_major == cuda_major]
    mins = [m for m in mins if m]
    return min(mins, key=driver_key) if mins else None


def wheel_name(entries: list[LibraryEntry], library: str, cuda_major: int) -> str | None:
    """PyPI project carrying ``library`` for CUDA ``cuda_major`` ("nvidia-cudnn-cu12"); None if none."""
    e = next((e for e in entries if e.kind == "wheel" and e.library == library and e.cuda_major == cuda_major), None)
    return e.wheel if e is not None else None


def wheel_for_minor(entries: list[LibraryEntry], library: str, major: int, minor: int) -> str | None:
    """The wheel project carrying ``library`` for CUDA ``major.minor``, when PyPI has releases of that minor.

    Wheel versions follow the CUDA version (nvidia-cuda-nvcc-cu12 12.4.131 is CUDA
    12.4), so a minor between the oldest and newest listed release is published;
    outside that range (nvcc for CUDA 11.3) no wheel exists: None.
    """
    e = next((e for e in entries if e.kind == "wheel" and e.library == library and e.cuda_major == major), None)
    if e is None or not e.first_version or not e.last_version:
        return None
    first, last = Version(e.first_version).release[:2], Version(e.last_version).release[:2]
    return e.wheel if first <= (major, minor) <= last else None


def cublas_for_toolkit(entries: list[LibraryEntry], cuda: str) -> str | None:
    """The cuBLAS version a CUDA toolkit release ships ("12.4.1" -> "12.4.5.8"); None if unknown."""
    try:
        want = Version(cuda.strip())
    except InvalidVersion:
        return None
    for e in releases(entries, "cublas"):
        if any(Version(t) == want for t in e.cuda_toolkits):
            return e.version
    return None
