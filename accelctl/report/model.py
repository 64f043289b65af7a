"""The doctor report: inventory + findings + plan, the one thing renderers receive."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from accelctl import __version__
from accelctl.findings import Finding
from accelctl.inventory import Inventory
from accelctl.plan.fixit import PlanStep
from accelctl.record import record
from accelctl.serde import to_data

REPORT_SCHEMA_VERSION = 1


@record
class Summary:
    errors: int
    warnings: int
    infos: int
    verdict: str  # ok | warnings | errors


@record
class Report:
    inventory: Inventory
    findings: list[Finding]
    plan: list[PlanStep] = field(default_factory=list)

    @property
    def summary(self) -> Summary:
        counts = {s: sum(1 for f in self.findings if f.severity == s) for s in ("error", "warning", "info")}
        verdict = "errors" if counts["error"] else "warnings" if counts["warning"] else "ok"
        return Summary(counts["error"], counts["warning"], counts["info"], verdict)

    def to_data(self) -> dict[str, Any]:
        return {
            "report_schema_version": REPORT_SCHEMA_VERSION,
            "accelctl_version": __version__,
            "summary": to_data(self.summary),
            "findings": to_data(self.findings),
            "plan": to_data(self.plan),
            "inventory": self.inventory.to_data(),
        }
