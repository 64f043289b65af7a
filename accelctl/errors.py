"""accelctl's own errors: a stable reference, what happened, where, and what to do about it.

Modelled on pip's diagnostic errors: every error a user can cause (a bad flag,
an unusable file) names itself with a kebab-case ``reference`` that stays the
same across releases (scripts and docs can rely on it), says what happened,
names the ``file`` and ``field`` where they apply, and gives a ``hint``. The
command line has one boundary that renders them and maps them to exit codes
(``accelctl.cli.exits``); nothing here writes to a stream.

The references are listed in docs/errors.md.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence


class ExitCode(enum.IntEnum):
    OK = 0  # clean, or findings below the --fail-on threshold
    FINDINGS = 1  # findings at or above the --fail-on threshold
    USAGE = 2  # bad arguments or unusable input files (snapshots, matrices, fleet specs, images)
    INTERNAL = 3  # accelctl itself failed


class AccelctlError(Exception):
    """An error of the user's input that accelctl reports itself (never a traceback)."""

    reference = "accelctl-error"
    exit_code = ExitCode.USAGE
    default_hint: str | None = None
    field_label = "field"  # what ``field`` names: a field of a file, or an option of the command line

    def __init__(self, message: str, *, reference: str | None = None, file: str | None = None,
                 field: str | None = None, hint: str | None = None, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        if reference is not None:
            self.reference = reference
        self.file = file
        self.field = field
        self.hint = hint if hint is not None else self.default_hint
        self.details = list(details)

    def __str__(self) -> str:
        return self.message


class UsageError(AccelctlError):
    """A command line accelctl cannot act on: an unknown option, key, vendor or package name."""

    reference = "bad-usage"
    field_label = "argument"


class InputError(AccelctlError):
    """A file or argument the user gave cannot be used; the message names it."""

    reference = "input-unusable"


class InternalError(AccelctlError):
    """accelctl itself failed (a bug): exit 3, with the traceback under --debug."""

    reference = "internal-error"
    exit_code = ExitCode.INTERNAL
    default_hint = "run again with --debug for the traceback, and report it with the command line"


def closest(word: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The choices nearest to a misspelt ``word``, best first (difflib's ratio, case-insensitive)."""
    import difflib

    by_lower: dict[str, str] = {}
    for choice in choices:
        by_lower.setdefault(choice.lower(), choice)
    return [by_lower[m] for m in difflib.get_close_matches(word.lower(), list(by_lower), n=n, cutoff=cutoff)]


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """"did you mean 'x'?" for the nearest choices, or '' when none is near."""
    near = closest(word, choices, cutoff=cutoff)
    if not near:
        return ""
    return "did you mean " + " or ".join(repr(m) for m in near) + "?"


class SnapshotError(AccelctlError, ValueError):
    """A snapshot file cannot be used; the message names file and problem."""

    reference = "snapshot-unreadable"
    default_hint = "give a file written by `accelctl doctor --snapshot FILE` (or --json)"


__all__ = ["AccelctlError", "ExitCode", "InputError", "InternalError", "SnapshotError", "UsageError", "closest", "did_you_mean"]
