"""The rule registry and the engine that runs rules over an inventory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Dict, List, Optional

from accelctl.findings import SEVERITY_ORDER, Finding
from accelctl.rules.base import Hit, Rule, RuleContext, to_finding


def all_rules() -> list[Rule]:
    """Every registered rule. Adding a family module means one import line here."""
    from accelctl.rules import amd, cuda, driver, frameworks, general, libraries, python, xpu

    modules = [general, driver, cuda, libraries, frameworks, python, amd, xpu]
    found: list[Rule] = []
    for module in modules:
        found.extend(v for v in vars(module).values() if isinstance(v, Rule))
    found.sort(key=lambda r: r.id)
    ids = [r.id for r in found]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise RuntimeError(f"duplicate rule IDs: {sorted(dupes)}")
    return found


def by_id() -> dict[str, Rule]:
    return {r.id: r for r in all_rules()}


def select(rules: Sequence[Rule], select: Sequence[str] = (), ignore: Sequence[str] = ()) -> list[Rule]:
    """Pick rules by ID, ID prefix or name (ruff style)."""

    def matches(r: Rule, keys: Sequence[str]) -> bool:
        return any(r.id.startswith(k.upper()) or r.name == k for k in keys)

    chosen = [r for r in rules if not r.removed and (not select or matches(r, select))]
    return [r for r in chosen if not matches(r, ignore)]


def run_rules(ctx: RuleContext, rules: Sequence[Rule] | None = None) -> list[Finding]:
    """Run rules; a rule that breaks yields a GEN999 finding instead of a traceback."""
    findings: list[Finding] = []
    for r in rules if rules is not None else all_rules():
        findings.extend(run_rule(ctx, r))
    return sort_findings(findings)


def run_rule(ctx: RuleContext, r: Rule) -> list[Finding]:
    """One rule's findings, unsorted (``run_rules`` sorts them all); a rule that breaks gives GEN999."""
    try:
        hits = list(r.check(ctx))
    except Exception as exc:  # a rule bug must not hide the other findings
        return [Finding("GEN999", "rule-failed", "warning", "A check could not run",
                        f"rule {r.id} ({r.name}) failed: {type(exc).__name__}: {exc}", family="general",
                        docs="docs/rules/GEN999.md")]
    return [to_finding(r, h) for h in hits]


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """The report's order: most severe first, then by rule ID and subject."""
    findings.sort(key=lambda f: (-SEVERITY_ORDER[f.severity], f.rule_id, f.subject or ""))
    return findings


__all__ = ["Hit", "Rule", "RuleContext", "all_rules", "by_id", "run_rule", "run_rules", "select", "sort_findings"]
