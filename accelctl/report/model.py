"""The doctor report: inventory + findings + plan, the one thing renderers receive."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from accelctl import __version__
from accelctl.findings import SEVERITY_ORDER, Finding, Severity, Undecided
from accelctl.inventory import Inventory
from accelctl.plan.fixit import PlanStep
from accelctl.record import record
from accelctl.serde import to_data

REPORT_SCHEMA_VERSION = 2  # 2: the undecided checks (``undecided``, ``summary.undecided``)


@record
class Summary:
    """Counts of findings by severity and of undecided checks; ``verdict`` weighs undecided checks at their level."""

    errors: int
    warnings: int
    infos: int
    verdict: str  # ok | warnings | errors
    undecided: int = 0  # checks that applied but could not decide (a deciding fact unknown)


@record
class Origin:
    """Where the inventory came from, as the command line named it: for headers and SARIF file locations."""

    kind: str = ""  # "" (as the inventory says: live machine, rootfs, fixture) | snapshot | rootfs
    path: str = ""  # the snapshot file or the folder, as given
    uri: str | None = None  # ``path`` relative to the repository checkout (SARIF); None when outside it


@record
class Report:
    inventory: Inventory
    findings: list[Finding]
    plan: list[PlanStep] = field(default_factory=list)
    undecided: list[Undecided] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # IDs of the rules that ran (passed = checked, no result)
    origin: Origin = field(default_factory=Origin)

    @property
    def summary(self) -> Summary:
        counts = {s: sum(1 for f in self.findings if f.severity == s) for s in ("error", "warning", "info")}
        worst = max((SEVERITY_ORDER[s] for s in self.severities()), default=0)
        verdict = "errors" if worst >= SEVERITY_ORDER["error"] else "warnings" if worst >= SEVERITY_ORDER["warning"] else "ok"
        return Summary(counts["error"], counts["warning"], counts["info"], verdict, len(self.undecided))

    def severities(self) -> list[Severity]:
        """The level of every result that is not a pass: findings, and undecided checks at their level."""
        return [f.severity for f in self.findings] + [u.severity for u in self.undecided]

    def to_data(self) -> dict[str, Any]:
        return {
            "report_schema_version": REPORT_SCHEMA_VERSION,
            "accelctl_version": __version__,
            "summary": to_data(self.summary),
            "findings": to_data(self.findings),
            "undecided": to_data(self.undecided),
            "plan": to_data(self.plan),
            "inventory": self.inventory.to_data(),
        }


def headline(s: Summary) -> str:
    """The one-line verdict: "no problems found" only when every applicable check decided."""
    if s.errors:
        head = "problems found"
    elif s.warnings:
        head = "works, with warnings"
    elif s.undecided:
        head = f"no problems found in what could be checked; {s.undecided} check{'s' if s.undecided != 1 else ''} undecided"
    else:
        head = "no problems found"
    counts = f"{s.errors} error(s), {s.warnings} warning(s), {s.infos} note(s)"
    return f"{head} — {counts}" + (f", {s.undecided} undecided" if s.undecided else "")
