"""The error every matrix loader raises; apart, so catching it imports no loader (nor packaging)."""

from __future__ import annotations

from collections.abc import Sequence


class MatrixError(Exception):
    """A matrix file could not be loaded; carries every problem found."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)
