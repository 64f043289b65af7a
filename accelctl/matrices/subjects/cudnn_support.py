"""The lowest GPU compute capability each cuDNN release and cuBLAS major supports.

NVIDIA's cuDNN support matrices list, per release and per CUDA major build, the
compute capabilities the library supports; NVIDIA removes old architectures at
announced points (Kepler from cuDNN 8.9's list, Maxwell, Pascal and Volta by
cuDNN 9.17 and from every CUDA 13 library) and does not add them back. So a
release the table does not record is bounded by its recorded neighbours of the
same CUDA major: its floor lies between theirs. Used by LIB005.
"""

from __future__ import annotations

import itertools
from dataclasses import field

from packaging.version import InvalidVersion, Version

from accelctl.matrices.base import CC, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance, cc_key
from accelctl.record import record

LIBRARIES = ("cudnn", "cublas", "cuda")  # cuda: what every library of that CUDA major is limited to


@record(frozen=True)
class LibrarySupport:
    """One release of a library (one CUDA major build of it) and the lowest compute capability it supports."""

    library: str  # cudnn | cublas | cuda (the floor of every library built with that CUDA major)
    version: str = field(metadata={"kind": VERSION})  # "9.17.0"; cuBLAS: the first release of its major, "13.0.0"
    cuda_major: int  # the CUDA major the build is for
    min_cc: str | None = field(default=None, metadata={"kind": CC})  # null: the source is silent
    provenance: Provenance = UNSOURCED


@record(frozen=True)
class Floor:
    """What the table says about one release's lowest supported compute capability.

    ``low``/``high`` bound the floor (equal when a read entry states it); ``None`` is no bound on
    that side. ``basis`` says which entries the bound comes from, for evidence.
    """

    low: str | None
    high: str | None
    basis: str
    entries: tuple[LibrarySupport, ...] = ()

    @property
    def exact(self) -> bool:
        return self.low is not None and self.low == self.high


def _check(entries: list[LibrarySupport], errors: ErrorSink) -> None:
    for i, e in enumerate(entries):
        if e.library not in LIBRARIES:
            errors.add(i, "library", f"must be one of {', '.join(LIBRARIES)}, got {e.library!r}")
        if e.cuda_major < 7:
            errors.add(i, "cuda_major", f"not a CUDA major: {e.cuda_major}")
    # A newer release of the same build never supports an older architecture than an older release does.
    by_build: dict[tuple[str, int], list[tuple[Version, int, LibrarySupport]]] = {}
    for i, e in enumerate(entries):
        try:
            by_build.setdefault((e.library, e.cuda_major), []).append((Version(e.version), i, e))
        except InvalidVersion:
            continue
    for rows in by_build.values():
        known = sorted((v, i, e) for v, i, e in rows if e.min_cc is not None)
        for (_, _, older), (_, i, newer) in itertools.pairwise(known):
            if cc_key(newer.min_cc or "0.0") < cc_key(older.min_cc or "0.0"):
                errors.add(i, "min_cc", f"{newer.library} {newer.version} supports less than {older.version} "
                                        f"({newer.min_cc} < {older.min_cc}): architectures are not added back")


SPEC: MatrixSpec[LibrarySupport] = MatrixSpec(name="cudnn_support", entry_type=LibrarySupport, check=_check,
                  key=lambda e: f"{e.library} {e.version} cu{e.cuda_major}")


def floor(entries: list[LibrarySupport], library: str, version: str, cuda_major: int | None) -> Floor | None:
    """The bounds on the lowest compute capability ``library`` ``version`` supports; None for an unparsable version.

    ``cuda_major`` None (a copy whose CUDA build is unknown) takes the entries of every CUDA major.
    A recorded release gives its own floor; another is bounded by the nearest recorded releases below
    and above it (the floor never goes down). A release newer than every recorded one of its major
    keeps the newest floor of that major as both bounds: NVIDIA announces removals with the release
    notes the table is read from, so none is assumed beyond it; a newer major is unbounded above.
    """
    try:
        want = Version(version)
    except InvalidVersion:
        return None
    rows = [(Version(e.version), e) for e in entries
            if e.library == library and e.min_cc is not None and (cuda_major is None or e.cuda_major == cuda_major)]
    major_floor = _cuda_floor(entries, cuda_major)
    if not rows:
        return Floor(major_floor.min_cc if major_floor else None, None,
                     f"CUDA {cuda_major}'s own floor" if major_floor else f"no {library} release of this build is recorded",
                     (major_floor,) if major_floor else ())
    same = [e for v, e in rows if v == want]
    if same:
        ccs = sorted({e.min_cc for e in same if e.min_cc}, key=cc_key)
        return Floor(ccs[0], ccs[-1], f"{library} {version}", tuple(same))
    below = [(v, e) for v, e in rows if v < want]
    above = [(v, e) for v, e in rows if v > want]
    low_entries = [e for v, e in below if v == max(b for b, _ in below)] if below else []
    high_entries = [e for v, e in above if v == min(a for a, _ in above)] if above else []
    low = max((e.min_cc for e in low_entries if e.min_cc), key=cc_key, default=None)
    if major_floor and major_floor.min_cc and (low is None or cc_key(major_floor.min_cc) > cc_key(low)):
        low, low_entries = major_floor.min_cc, [major_floor]
    high = min((e.min_cc for e in high_entries if e.min_cc), key=cc_key, default=None)
    if high is None and low_entries and all(Version(e.version).major == want.major for e in low_entries):
        return Floor(low, low, f"{library} {low_entries[0].version}, the newest recorded release of {library} "
                               f"{want.major}", tuple(low_entries))
    sides = [f"{e.library} {e.version}" + (f" (CUDA {e.cuda_major})" if e.library == "cuda" else "")
             for e in (low_entries[:1] + high_entries[:1])]
    basis = (f"between {sides[0]} and {sides[1]}" if len(sides) == 2
             else f"{'after' if low_entries else 'before'} {sides[0]}, the only bound recorded")
    return Floor(low, high, basis, tuple(low_entries + high_entries))


def _cuda_floor(entries: list[LibrarySupport], cuda_major: int | None) -> LibrarySupport | None:
    """The floor every library built with ``cuda_major`` has (its compiler targets nothing older)."""
    if cuda_major is None:
        return None
    return next((e for e in entries if e.library == "cuda" and e.cuda_major == cuda_major and e.min_cc), None)


def supports(bounds: Floor, cc: str) -> bool | None:
    """Whether a GPU of compute capability ``cc`` is supported: True, False, or None when the bounds do not tell."""
    have = cc_key(cc)
    if bounds.high is not None and have >= cc_key(bounds.high):
        return True
    if bounds.low is not None and have < cc_key(bounds.low):
        return False
    return None


def newest_supporting(entries: list[LibrarySupport], library: str, cuda_major: int, cc: str) -> LibrarySupport | None:
    """The newest recorded release of ``library`` for ``cuda_major`` that supports compute capability ``cc``."""
    fits = [e for e in entries if e.library == library and e.cuda_major == cuda_major and e.min_cc is not None
            and cc_key(cc) >= cc_key(e.min_cc)]
    return max(fits, key=lambda e: Version(e.version), default=None)
