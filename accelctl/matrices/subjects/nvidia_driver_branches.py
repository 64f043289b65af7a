"""NVIDIA driver branches: type, first release, end of life, newest CUDA they fully support.

One entry per driver branch ("R535"). ``type`` is NVIDIA's designation: a
Long Term Support Branch (``ltsb``), a Production Branch (``production``) or a
New Feature Branch (``new-feature``). ``eol`` is the end-of-life month NVIDIA
publishes in the data-center driver documentation ("2026-06" for "June
2026"); ``eol_declared`` marks branches NVIDIA lists as end of life without a
date in the sources read. ``max_cuda`` is the newest CUDA toolkit minor whose
full-feature minimum driver (CUDA release notes) belongs to this branch or an
older one: what ``nvidia-smi`` reports as "CUDA Version" for that branch.

Used by the driver rules (``branch_of``, ``is_eol``) to flag end-of-life
branches and to say which CUDA a branch runs natively.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
from dataclasses import field

from accelctl.matrices.base import DATE, DRIVER, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record

TYPES = ("ltsb", "production", "new-feature")
_BRANCH_RE = re.compile(r"^R(\d{3})$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@record(frozen=True)
class DriverBranch:
    """One NVIDIA driver branch."""

    branch: str  # "R535"
    type: str | None = None  # one of TYPES; null where no source read says
    released: str | None = field(default=None, metadata={"kind": DATE})  # first Linux release of the branch
    # End of life as NVIDIA publishes it: a month "YYYY-MM" (support ends during that month) or a day.
    eol: str | None = None
    eol_declared: bool = False  # NVIDIA lists the branch as end of life (no date in the sources read)
    max_cuda: str | None = field(default=None, metadata={"kind": VERSION})  # "12.2": newest CUDA fully supported
    latest_linux: str | None = field(default=None, metadata={"kind": DRIVER})  # newest Linux release seen when read
    provenance: Provenance = UNSOURCED


def _eol_last_day(eol: str) -> _dt.date | None:
    """The last day the branch is supported: the end of an "YYYY-MM" month, or the ISO day itself."""
    m = _MONTH_RE.match(eol)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            return None
        first_of_next = _dt.date(year + month // 12, month % 12 + 1, 1)  # first day of the next month, without the calendar module
        return first_of_next - _dt.timedelta(days=1)
    try:
        return _dt.date.fromisoformat(eol)
    except ValueError:
        return None


def _number(branch: str) -> int:
    return int(branch[1:])


def _check(entries: list[DriverBranch], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        if not _BRANCH_RE.match(e.branch):
            errors.add(i, "branch", f"expected a branch like 'R535', got {e.branch!r}")
            continue
        if e.branch in seen:
            errors.add(i, "branch", f"duplicate branch {e.branch}")
        seen.add(e.branch)
        if e.type is not None and e.type not in TYPES:
            errors.add(i, "type", f"must be one of {', '.join(TYPES)}")
        if e.eol is not None and _eol_last_day(e.eol) is None:
            errors.add(i, "eol", f"expected 'YYYY-MM' or 'YYYY-MM-DD', got {e.eol!r}")
        if e.latest_linux is not None and not e.latest_linux.startswith(e.branch[1:] + "."):
            errors.add(i, "latest_linux", f"{e.latest_linux} is not a release of {e.branch}")
    # max_cuda never decreases with the branch number
    ordered = sorted((e for e in entries if _BRANCH_RE.match(e.branch) and e.max_cuda), key=lambda e: _number(e.branch))
    from packaging.version import Version

    for a, b in itertools.pairwise(ordered):
        if Version(b.max_cuda) < Version(a.max_cuda):  # type: ignore[arg-type]
            errors.add(entries.index(b), "max_cuda", f"{b.branch} supports less CUDA ({b.max_cuda}) than {a.branch} ({a.max_cuda})")


SPEC: MatrixSpec[DriverBranch] = MatrixSpec(name="nvidia_driver_branches", entry_type=DriverBranch, check=_check, key=lambda e: e.branch)


def branch_of(driver: str) -> str | None:
    """The branch of a driver version: "535.104.05" -> "R535"; also accepts "535", "r535", "R535".

    None for anything that is not an NVIDIA driver version or branch.
    """
    s = driver.strip()
    m = re.fullmatch(r"[rR]?(\d{3})(\.\d+){0,3}", s)
    if not m:
        return None
    if s[0] in "rR" and "." in s:
        return None  # "R535.104.05" is not a spelling anyone uses
    return "R" + m.group(1)


def find_branch(entries: list[DriverBranch], driver: str) -> DriverBranch | None:
    """The entry for the branch of ``driver`` (a version or a branch); None if unknown."""
    b = branch_of(driver)
    return next((e for e in entries if e.branch == b), None) if b else None


def eol_date(entry: DriverBranch) -> _dt.date | None:
    """Last day of support per the published end of life (end of the month for "YYYY-MM")."""
    return _eol_last_day(entry.eol) if entry.eol else None


def is_eol(entries: list[DriverBranch], driver: str, today: _dt.date | str) -> bool | None:
    """Is the branch of ``driver`` past its end of life on ``today``?

    True when ``today`` is after the published end-of-life month (a branch with
    "June 2026" is supported through 2026-06-30) or NVIDIA lists the branch as
    end of life; False when a published date is still ahead; None when the
    branch is unknown or no end of life is known.
    """
    day = _dt.date.fromisoformat(today) if isinstance(today, str) else today
    e = find_branch(entries, driver)
    if e is None:
        return None
    last = eol_date(e)
    if last is not None:
        return day > last
    if e.eol_declared:
        return True
    return None


def max_cuda_for(entries: list[DriverBranch], driver: str) -> str | None:
    """Newest CUDA toolkit minor the branch of ``driver`` supports without compat packages."""
    e = find_branch(entries, driver)
    return e.max_cuda if e is not None else None
