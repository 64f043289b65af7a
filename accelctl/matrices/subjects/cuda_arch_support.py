"""GPU architectures (compute capabilities) each CUDA toolkit can compile for.

One entry per compute capability nvcc/ptxas accept as a target (``sm_XX``),
including the architecture-specific ``a`` and family ``f`` variants: the first
CUDA minor release that targets it, the release that deprecated it, and the
one that dropped it (offline compilation removed). Releases are ``major.minor``
strings; update releases of a minor target the same architectures. Used by
the architecture rules (GPU vs toolkit / framework build) through ``status``
and ``supported_archs``.
"""

from __future__ import annotations

import itertools
from dataclasses import field

from packaging.version import InvalidVersion, Version

from accelctl.matrices.base import CC, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance, cc_key
from accelctl.record import record

VARIANTS = ("base", "a", "f")
STATUSES = ("supported", "deprecated", "dropped", "too-new", "unknown")


@record(frozen=True)
class CudaArch:
    """One compilation target (compute capability) and its life cycle in the CUDA toolkit."""

    cc: str = field(metadata={"kind": CC})  # "9.0", "9.0a", "10.0f"
    variant: str = "base"  # "base"; "a": architecture-specific (sm_90a); "f": family-specific (sm_100f)
    architecture: str | None = None  # marketing architecture name, where a source names it
    # First CUDA minor whose compiler targets it. Null: earlier than every source read (see note).
    first_cuda: str | None = field(default=None, metadata={"kind": VERSION})
    deprecated_cuda: str | None = field(default=None, metadata={"kind": VERSION})
    dropped_cuda: str | None = field(default=None, metadata={"kind": VERSION})
    renamed_to: str | None = field(default=None, metadata={"kind": CC})  # 10.1 became 11.0 in CUDA 13.0
    provenance: Provenance = UNSOURCED


def _suffix(cc: str) -> str:
    return cc[-1] if cc[-1] in "af" else ""


def _check(entries: list[CudaArch], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        if e.cc in seen:
            errors.add(i, "cc", f"duplicate compute capability {e.cc}")
        seen.add(e.cc)
        want = _suffix(e.cc) or "base"
        if e.variant != want:
            errors.add(i, "variant", f"cc {e.cc} is variant {want!r}, not {e.variant!r}")
        steps = [("first_cuda", e.first_cuda), ("deprecated_cuda", e.deprecated_cuda), ("dropped_cuda", e.dropped_cuda)]
        known = [(n, Version(v)) for n, v in steps if v is not None]
        for (n1, v1), (n2, v2) in itertools.pairwise(known):
            if v2 < v1:
                errors.add(i, n2, f"{n2} {v2} is before {n1} {v1}")
        if e.deprecated_cuda is not None and e.dropped_cuda is not None and e.deprecated_cuda == e.dropped_cuda:
            errors.add(i, "deprecated_cuda", "deprecated and dropped in the same release: leave deprecated_cuda null")
    ccs = {e.cc for e in entries}
    for i, e in enumerate(entries):
        if e.renamed_to is not None and e.renamed_to not in ccs:
            errors.add(i, "renamed_to", f"{e.renamed_to} has no entry")


SPEC: MatrixSpec[CudaArch] = MatrixSpec(name="cuda_arch_support", entry_type=CudaArch, check=_check, key=lambda e: e.cc)


def sm_name(cc: str) -> str:
    """"9.0a" -> "sm_90a", "12.1" -> "sm_121"."""
    major, minor = cc_key(cc)
    return f"sm_{major}{minor}{_suffix(cc.strip())}"


def _minor_of(cuda: str) -> Version:
    v = Version(cuda.strip())
    return Version(f"{v.major}.{v.minor}")


def _state(e: CudaArch, cuda: Version) -> str:
    if e.first_cuda is not None and cuda < Version(e.first_cuda):
        return "too-new"
    if e.dropped_cuda is not None and cuda >= Version(e.dropped_cuda):
        return "dropped"
    if e.deprecated_cuda is not None and cuda >= Version(e.deprecated_cuda):
        return "deprecated"
    return "supported"


def _normalize_cc(cc: str) -> str:
    text = cc.strip().lower()
    if text.startswith(("sm_", "compute_")):
        digits = text.split("_", 1)[1]
        suffix = digits[-1] if digits[-1] in "af" else ""
        digits = digits.rstrip("af")
        if not digits.isdigit() or len(digits) < 2:
            return text
        return f"{int(digits[:-1])}.{digits[-1]}{suffix}"
    return text


def status(entries: list[CudaArch], cc: str, cuda: str) -> str:
    """Can CUDA ``cuda`` ("12.4" or "12.4.1") compile for ``cc`` ("8.6", "9.0a", "sm_100f")?

    ``supported``, ``deprecated`` (still targetable, removal announced),
    ``dropped`` (no longer targetable) or ``too-new`` (added in a later CUDA).
    A compute capability missing from the matrix is ``too-new`` when it is
    above every known one, else ``unknown``; so is an unparsable version.
    """
    try:
        ver = _minor_of(cuda)
    except InvalidVersion:
        return "unknown"
    name = _normalize_cc(cc)
    for e in entries:
        if e.cc == name:
            return _state(e, ver)
    try:
        key = cc_key(name)
    except ValueError:
        return "unknown"
    if entries and key > max(cc_key(e.cc) for e in entries):
        return "too-new"
    return "unknown"


def supported_archs(entries: list[CudaArch], cuda: str, include_deprecated: bool = True) -> list[str]:
    """Compute capabilities CUDA ``cuda`` can compile for, in ascending order (variants included)."""
    try:
        ver = _minor_of(cuda)
    except InvalidVersion:
        return []
    ok = ("supported", "deprecated") if include_deprecated else ("supported",)
    found = [e.cc for e in entries if _state(e, ver) in ok]
    return sorted(found, key=lambda c: (cc_key(c), _suffix(c)))


def archs_possible(entries: list[CudaArch], cuda: str) -> tuple[str, str] | None:
    """The lowest and highest compute capability CUDA ``cuda``'s compiler can target (base variants).

    A bound from first principles for a build whose arch list is unknown: a wheel built
    with CUDA 12.6 holds no code for 12.0 (Blackwell), one built with 13.0 none below
    7.5. None when the version is unparsable or the matrix knows no target for it. The matrix
    starts at sm_30, so for a CUDA older than 9.0 (which still targets sm_2x) the lower bound is
    too high; no torch wheel since 1.8 was built with one.
    """
    base = [cc for cc in supported_archs(entries, cuda) if not _suffix(cc)]
    if not base:
        return None
    return base[0], base[-1]
