"""Rules: small named checks with stable IDs, over an Inventory and the matrices.

A rule is one function decorated with ``@rule``; its docstring is its
documentation (first line the title, then why it matters and how to fix it),
from which ``docs/rules/<ID>.md`` is generated. IDs are never reused.
"""

from __future__ import annotations

import datetime as _dt
import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import field

from accelctl.findings import Evidence, Finding, FixStep, Severity
from accelctl.inventory import Inventory
from accelctl.matrices import MatrixSet
from accelctl.record import record

DOCS_BASE = "https://github.com/accelctl/accelctl/blob/main/docs/rules"


@record
class Hit:
    """What a rule reports for one occurrence; the engine adds the rule's metadata."""

    message: str
    subject: str | None = None
    evidence: Sequence[Evidence] = ()
    fixes: Sequence[FixStep] = ()
    severity: Severity | None = None  # overrides the rule's default for this occurrence


@record
class RuleOptions:
    expect: tuple[str, ...] = ()  # vendors that must be usable: nvidia, amd, intel, google, aws, habana
    today: _dt.date | None = None


@record
class RuleContext:
    inventory: Inventory
    matrices: MatrixSet
    options: RuleOptions = field(default_factory=RuleOptions)

    @property
    def today(self) -> _dt.date:
        return self.options.today or _dt.date.today()


Check = Callable[[RuleContext], Iterable[Hit]]


@record
class Rule:
    id: str
    name: str
    family: str
    severity: Severity
    check: Check
    title: str
    doc: str
    removed: bool = False

    @property
    def docs_path(self) -> str:
        return f"docs/rules/{self.id}.md"


_FAMILIES = {
    "GEN": "general",
    "DRV": "driver",
    "TK": "toolkit",
    "LIB": "libraries",
    "FW": "frameworks",
    "ARCH": "architecture",
    "ROCM": "rocm",
    "XPU": "xpu",
    "ENV": "environment",
    "CTR": "container",
    "PY": "python",
}


def family_of(rule_id: str) -> str:
    prefix = rule_id.rstrip("0123456789")
    if prefix not in _FAMILIES:
        raise ValueError(f"rule {rule_id}: unknown family prefix {prefix!r}")
    return _FAMILIES[prefix]


def rule(rule_id: str, name: str, severity: Severity) -> Callable[[Check], Rule]:
    """Declare a rule; the decorated function's docstring is its documentation."""

    def wrap(check: Check) -> Rule:
        doc = inspect.cleandoc(check.__doc__ or "")
        title = doc.splitlines()[0] if doc else name
        return Rule(rule_id, name, family_of(rule_id), severity, check, title, doc)

    return wrap


def to_finding(r: Rule, hit: Hit) -> Finding:
    doc_body = r.doc.split("\n", 1)[1].strip() if "\n" in r.doc else ""
    why = doc_body.split("\n\n", 1)[0].replace("\n", " ") if doc_body else ""
    return Finding(
        rule_id=r.id,
        rule_name=r.name,
        severity=hit.severity or r.severity,
        title=r.title,
        message=hit.message,
        family=r.family,
        subject=hit.subject,
        evidence=list(hit.evidence),
        explanation=why,
        fixes=list(hit.fixes),
        docs=r.docs_path,
    )
