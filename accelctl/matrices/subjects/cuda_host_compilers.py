"""Host compilers per CUDA toolkit: the newest GCC major nvcc accepts on Linux x86_64.

Each toolkit's ``include/crt/host_config.h`` rejects a newer GCC with
``#error -- unsupported GNU version! gcc versions later than N are not
supported``. One entry per CUDA minor records that N (null when no copy of the
header was read). Used by rule TK002 through ``max_gcc_for``.
"""

from __future__ import annotations

from dataclasses import field

from packaging.version import InvalidVersion, Version

from accelctl.matrices.base import UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record


@record(frozen=True)
class CudaHostCompiler:
    """The newest host GCC major one CUDA toolkit minor supports."""

    cuda: str = field(metadata={"kind": VERSION})  # toolkit minor, "12.4"
    max_gcc: int | None = None  # N of host_config.h's "#if __GNUC__ > N"; None: not known
    read_release: str | None = field(default=None, metadata={"kind": VERSION})  # the release whose header was read
    provenance: Provenance = UNSOURCED


def _minor(v: str) -> tuple:
    ver = Version(v.strip())
    return ver.major, ver.minor


def _check(entries: list[CudaHostCompiler], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        try:
            key = _minor(e.cuda)
        except InvalidVersion:
            continue
        if len(Version(e.cuda).release) != 2:
            errors.add(i, "cuda", "one entry per toolkit minor: write it as MAJOR.MINOR")
        if key in seen:
            errors.add(i, "cuda", f"duplicate CUDA {e.cuda}")
        seen.add(key)
        if e.max_gcc is not None and not 4 <= e.max_gcc <= 99:
            errors.add(i, "max_gcc", f"implausible GCC major {e.max_gcc}")
        if e.read_release:
            try:
                if _minor(e.read_release) != key:
                    errors.add(i, "read_release", f"{e.read_release} is not a CUDA {e.cuda} release")
            except InvalidVersion:
                pass
        if e.max_gcc is None and not e.provenance.note:
            errors.add(i, "note", "an unknown max_gcc needs a note saying why")


SPEC: MatrixSpec[CudaHostCompiler] = MatrixSpec(name="cuda_host_compilers", entry_type=CudaHostCompiler, check=_check, key=lambda e: e.cuda)


def entry_for(entries: list[CudaHostCompiler], cuda: str) -> CudaHostCompiler | None:
    """The entry of the minor of ``cuda`` ("12.4", "12.4.131"), or None (also for an unparsable version)."""
    try:
        want = _minor(cuda)
    except InvalidVersion:
        return None
    for e in entries:
        try:
            if _minor(e.cuda) == want:
                return e
        except InvalidVersion:
            continue
    return None


def max_gcc_for(entries: list[CudaHostCompiler], cuda: str) -> int | None:
    """Newest GCC major nvcc of toolkit ``cuda`` accepts as host compiler; None when not known."""
    e = entry_for(entries, cuda)
    return e.max_gcc if e else None
