"""The error every matrix loader raises; apart, so catching it imports no loader (nor packaging)."""

from __future__ import annotations

from collections.abc import Sequence

from accelctl.errors import AccelctlError


class MatrixError(AccelctlError):
    """A matrix file could not be loaded; carries every problem found (each naming file, entry and field)."""

    reference = "matrix-invalid"
    default_hint = ("fix the file, or leave its folder out of --matrices and ACCELCTL_MATRICES; "
                    "`accelctl matrices validate DIR` lists every problem of a folder")

    def __init__(self, problems: Sequence[str], *, reference: str | None = None, file: str | None = None,
                 field: str | None = None, hint: str | None = None) -> None:
        problems = list(problems)
        if len(problems) == 1:
            message, details = problems[0], []
        else:
            message, details = f"{len(problems)} problems in the matrices:", problems
        super().__init__(message, reference=reference, file=file, field=field, hint=hint, details=details)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(self.problems)
