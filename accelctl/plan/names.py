"""Tell a misspelt package name from a real one before planning (``plan torhc`` is a typo, not a package)."""

from __future__ import annotations

from collections.abc import Sequence

from accelctl.errors import UsageError, closest
from accelctl.matrices import MatrixSet
from accelctl.matrices.packages import canonical, known_packages
from accelctl.plan.solve import JUDGED, parse_wants

TYPO_CUTOFF = 0.8  # difflib ratio from which an unknown name reads as a misspelling ("torhc" vs "torch": 0.8)


def misspelt(wants: Sequence[str], matrices: MatrixSet) -> list[tuple[str, list[str]]]:
    """(want's name, the known names it is close to) for every want that looks like a misspelling.

    A name accelctl does not know is kept as given (numpy, requests), unless it is
    close to one it knows, and is not the closest known name with more after it
    (``torchx`` and ``tensorflow-io`` are packages of their own; ``jaxlb`` is jaxlib).
    """
    known: set[str] | None = None
    found = []
    for req in parse_wants(wants):
        name = canonical(req.name)
        if name in JUDGED:
            continue
        known = known if known is not None else known_packages(matrices) | JUDGED
        if name in known:
            continue
        near = closest(name, known, cutoff=TYPO_CUTOFF)
        if near and not name.startswith(near[0]):
            found.append((req.name, near))
    return found


def check_names(wants: Sequence[str], matrices: MatrixSet) -> None:
    """Raise ``UsageError`` (``unknown-package``) naming every misspelt want and the closest known names."""
    problems = [f"{name!r}: no such package in the matrices; did you mean " + " or ".join(repr(n) for n in near) + "?"
                for name, near in misspelt(wants, matrices)]
    if problems:
        raise UsageError(problems[0] if len(problems) == 1 else f"{len(problems)} unknown package names:",
                         reference="unknown-package", field="WANT", details=problems if len(problems) > 1 else (),
                         hint="correct the name; to plan a package accelctl has no facts about under that very "
                              "name, pass --allow-unknown (it is then kept as given)")


__all__ = ["check_names", "misspelt"]
