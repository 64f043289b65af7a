"""The fix-it plan: the findings' steps, ordered, deduplicated, alternatives kept together."""

from __future__ import annotations

from dataclasses import field

from accelctl.findings import SEVERITY_ORDER, Finding, FixStep
from accelctl.record import record


@record
class PlanStep:
    step: FixStep
    fixes: list[str] = field(default_factory=list)  # rule IDs (with subject) this step addresses


def build_plan(findings: list[Finding]) -> list[PlanStep]:
    """Order: the most severe finding's steps first; the same step is listed once."""
    order: list[tuple[str, tuple[str, ...]]] = []
    steps: dict[tuple[str, tuple[str, ...]], PlanStep] = {}
    for finding in sorted(findings, key=lambda f: -SEVERITY_ORDER[f.severity]):
        label = finding.rule_id + (f" ({finding.subject})" if finding.subject else "")
        for step in finding.fixes:
            key = (step.title, tuple(step.commands))
            if key not in steps:
                steps[key] = PlanStep(step, [])
                order.append(key)
            if label not in steps[key].fixes:
                steps[key].fixes.append(label)
    return [steps[k] for k in order]
