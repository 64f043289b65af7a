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

from accelctl.findings import Evidence, Finding, FixStep, Severity, Undecided
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
class CannotDecide:
    """What a rule reports where it applies but a fact it decides on is unknown (and not derivable).

    ``missing`` names the facts, ``settle`` what would settle them (an ``--assume``, a flag, a
    matrices refresh). The engine turns it into an ``Undecided`` result, never a silent pass.
    """

    message: str
    missing: Sequence[str] = ()
    settle: Sequence[str] = ()
    subject: str | None = None
    severity: Severity = "warning"


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


Check = Callable[[RuleContext], Iterable["Hit | CannotDecide"]]


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
    decides_on: tuple[str, ...] = ()  # the facts its verdict rests on; unknown ones make it undecided
    platforms: tuple[str, ...] = ("linux",)  # the operating systems (inventory os.system) its facts exist on

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
    "NET": "multi-node",
}

ANY_OS = ("linux", "windows", "darwin")


def family_of(rule_id: str) -> str:
    prefix = rule_id.rstrip("0123456789")
    if prefix not in _FAMILIES:
        raise ValueError(f"rule {rule_id}: unknown family prefix {prefix!r}")
    return _FAMILIES[prefix]


def rule(rule_id: str, name: str, severity: Severity, decides_on: Sequence[str] = (),
         platforms: Sequence[str] = ("linux",)) -> Callable[[Check], Rule]:
    """Declare a rule; the decorated function's docstring is its documentation.

    ``decides_on`` names the facts the rule's verdict rests on (shown on its docs page); where
    the rule applies and one of them is unknown, it yields ``CannotDecide`` instead of passing.
    ``platforms`` names the operating systems whose facts it reads (the probes read Linux's files:
    most rules are Linux-only); on another the engine does not run it (GEN004 says so).
    """

    def wrap(check: Check) -> Rule:
        doc = inspect.cleandoc(check.__doc__ or "")
        title = doc.splitlines()[0] if doc else name
        return Rule(rule_id, name, family_of(rule_id), severity, check, title, doc, decides_on=tuple(decides_on),
                    platforms=tuple(platforms))

    return wrap


def applies_on(r: Rule, system: str | None) -> bool:
    """Whether the rule's facts exist on this operating system; an unknown one (older snapshots) runs every rule."""
    return system is None or system in r.platforms


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


def to_undecided(r: Rule, unknown: CannotDecide) -> Undecided:
    return Undecided(
        rule_id=r.id,
        rule_name=r.name,
        title=r.title,
        message=unknown.message,
        missing=list(unknown.missing),
        settle=list(unknown.settle),
        severity=unknown.severity,
        family=r.family,
        subject=unknown.subject,
        docs=r.docs_path,
    )
