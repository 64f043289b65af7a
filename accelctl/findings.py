"""Findings and fix-it steps: the answer accelctl gives, as plain data.

Rules produce these; the plan orders their fixes; renderers only display them.
"""

from __future__ import annotations

from accelctl.record import record
from dataclasses import field
from typing import List, Optional

from typing import Literal

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
    commands: List[str] = field(default_factory=list)  # shell lines, every argument quoted
    why: str = ""
    risks: List[Risk] = field(default_factory=list)
    verify: Optional[str] = None  # a command that shows the fix worked
    alternative: Optional[str] = None  # steps sharing a label are alternatives to each other
    recommended: bool = True


@record
class Finding:
    rule_id: str
    rule_name: str
    severity: Severity
    title: str
    message: str  # this instance: what is wrong here, with the values
    family: str = ""
    subject: Optional[str] = None  # what it is about: "torch 2.5.1+cu124 in /opt/venv", "GPU 0"
    evidence: List[Evidence] = field(default_factory=list)
    explanation: str = ""  # why it matters (from the rule's documentation)
    fixes: List[FixStep] = field(default_factory=list)
    docs: str = ""  # docs/rules/<ID>.md


def worst(findings: List[Finding]) -> Optional[Severity]:
    if not findings:
        return None
    return max((f.severity for f in findings), key=lambda s: SEVERITY_ORDER[s])
