"""The fix-it plan: the findings' steps, ordered, deduplicated, alternatives kept together."""

from __future__ import annotations

from accelctl.record import record
from dataclasses import field
from typing import Dict, List, Tuple

from accelctl.findings import SEVERITY_ORDER, Finding, FixStep


@record
class PlanStep:
    step: FixStep
    fixes: List[str] = field(default_factory=list)  # rule IDs (with subject) this step addresses


def build_plan(findings: List[Finding]) -> List[PlanStep]:
    """Order: the most severe finding's steps first; the same step is listed once."""
    order: List[Tuple[str, Tuple[str, ...]]] = []
    steps: Dict[Tuple[str, Tuple[str, ...]], PlanStep] = {}
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
