"""Checks of command-line values that need accelctl's knowledge (vendors, assumption keys), before any work."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, get_args

from accelctl.errors import UsageError, closest

if TYPE_CHECKING:
    from accelctl.matrices import MatrixSet


def expect_vendors() -> list[str]:
    """The vendors ``--expect`` takes: every accelerator vendor the inventory knows."""
    from accelctl.inventory.accelerators import Vendor

    return [v for v in get_args(Vendor) if v != "other"]


def check_expect(vendors: Sequence[str]) -> None:
    """Refuse an ``--expect`` vendor accelctl does not know (it would always fail, and say nothing useful)."""
    known = expect_vendors()
    for vendor in vendors:
        if vendor not in known:
            near = closest(vendor, known)
            raise UsageError(f"--expect {vendor}: unknown vendor {vendor!r}", reference="unknown-vendor",
                             field="--expect",
                             hint=("did you mean " + " or ".join(repr(n) for n in near) + "? " if near else "")
                             + "vendors: " + ", ".join(known))


def checked_assumptions(items: Sequence[str], matrices: MatrixSet) -> list[str]:
    """``--assume`` items checked before probing (see ``accelctl.assume.check_assumptions``)."""
    if not items:
        return []
    from accelctl.assume import check_assumptions
    from accelctl.matrices.packages import known_packages

    return check_assumptions(items, known_packages(matrices))


__all__ = ["check_expect", "checked_assumptions", "expect_vendors"]


def write_output(path: str, text: str, append: bool = False) -> None:
    """Write (or append) ``text`` to a file the user named; a failure is exit 2 naming the file."""
    from accelctl.errors import InputError

    try:
        with open(path, "a" if append else "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}", reference="output-unwritable",
                         file=path) from None


def check_rule_keys(option: str, keys: Sequence[str]) -> None:
    """Every ``--select``/``--ignore`` key names at least one rule: a misspelt one would silently check nothing."""
    if not keys:
        return
    from accelctl.rules import all_rules, matches, rule_keys

    rules = all_rules()
    for key in rule_keys(keys):
        if not any(matches(r, [key]) for r in rules):
            near = closest(key, [r.id for r in rules] + [r.name for r in rules])
            raise UsageError(f"{option} {key}: no rule of that ID, ID prefix or name", reference="unknown-rule",
                             field=option, hint=("did you mean " + " or ".join(repr(n) for n in near) + "? " if near
                                                 else "") + "`accelctl rules` lists every rule")
