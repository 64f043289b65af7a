"""Findings and fix-it steps: the answer accelctl gives, as plain data.

Rules produce these; the plan orders their fixes; renderers only display them.
"""

from __future__ import annotations

from dataclasses import field
from typing import Literal

from accelctl.record import record

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER = {"error": 3, "warning": 2, "info": 1}
Risk = Literal["needs-root", "needs-reboot", "drains-node", "changes-environment", "downloads", "rebuilds-image"]


@record
class Evidence:
    """One fact a finding rests on, and where it was read."""

    fact: str  # "driver version", "torch variant"
    value: str
    source: str = ""


@record
class FixStep:
    """One concrete step; never run by accelctl itself."""

    title: str
    commands: list[str] = field(default_factory=list)  # shell lines, every argument quoted
    why: str = ""
    risks: list[Risk] = field(default_factory=list)
    verify: str | None = None  # a command that shows the fix worked
    alternative: str | None = None  # steps sharing a label are alternatives to each other
    recommended: bool = True


@record
class Finding:
    rule_id: str
    rule_name: str
    severity: Severity
    title: str
    message: str  # this instance: what is wrong here, with the values
    family: str = ""
    subject: str | None = None  # what it is about: "torch 2.5.1+cu124 in /opt/venv", "GPU 0"
    evidence: list[Evidence] = field(default_factory=list)
    explanation: str = ""  # why it matters (from the rule's documentation)
    fixes: list[FixStep] = field(default_factory=list)
    docs: str = ""  # docs/rules/<ID>.md


@record
class Undecided:
    """A check that applies here but could not decide: a deciding fact is unknown and cannot be derived.

    Undecided is not healthy: it is reported (at ``severity``, warning by default) and counted,
    so a report never says "no problems found" while a check it needed could not run.
    """

    rule_id: str
    rule_name: str
    title: str
    message: str  # what could not be decided here, and why
    missing: list[str] = field(default_factory=list)  # the unknown facts: "compute capability of GPU 0"
    settle: list[str] = field(default_factory=list)  # what would settle it: "--assume cc=8.9", "--scan-fatbins"
    severity: Severity = "warning"
    family: str = ""
    subject: str | None = None
    docs: str = ""


def worst(findings: list[Finding]) -> Severity | None:
    if not findings:
        return None
    return max((f.severity for f in findings), key=lambda s: SEVERITY_ORDER[s])
