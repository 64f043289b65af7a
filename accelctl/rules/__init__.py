"""The rule registry and the engine that runs rules over an inventory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field

from accelctl.findings import SEVERITY_ORDER, Finding, Undecided
from accelctl.record import record
from accelctl.rules.base import CannotDecide, Hit, Rule, RuleContext, applies_on, to_finding, to_undecided


@record
class Outcome:
    """What checking gave: findings (failed checks) and the checks that could not decide."""

    findings: list[Finding] = field(default_factory=list)
    undecided: list[Undecided] = field(default_factory=list)


def all_rules() -> list[Rule]:
    """Every registered rule. Adding a family module means one import line here."""
    from accelctl.rules import (
        amd,
        cuda,
        driver,
        environment,
        fabric,
        frameworks,
        general,
        jax_cuda,
        libraries,
        library_archs,
        onnxruntime,
        platform,
        python,
        rocm_driver,
        system_libs,
        xpu,
    )

    modules = [general, driver, cuda, libraries, frameworks, python, amd, xpu, environment,
               onnxruntime, system_libs, jax_cuda, fabric, platform, rocm_driver, library_archs]
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


def rule_keys(keys: Sequence[str]) -> list[str]:
    """``--select``/``--ignore`` values as single keys: each may list several, comma-separated (ruff style)."""
    return [k.strip() for key in keys for k in key.split(",") if k.strip()]


def matches(r: Rule, keys: Sequence[str]) -> bool:
    """Whether a rule is named by one of ``keys``: its ID, an ID prefix, or its name."""
    return any(r.id.startswith(k.upper()) or r.name == k for k in rule_keys(keys))


def select(rules: Sequence[Rule], select: Sequence[str] = (), ignore: Sequence[str] = ()) -> list[Rule]:
    """Pick rules by ID, ID prefix or name (ruff style)."""
    chosen = [r for r in rules if not r.removed and (not select or matches(r, select))]
    return [r for r in chosen if not matches(r, ignore)]


def run_rules(ctx: RuleContext, rules: Sequence[Rule] | None = None) -> list[Finding]:
    """Run rules, findings only (``check_rules`` also gives the undecided checks)."""
    return check_rules(ctx, rules).findings


def run_rule(ctx: RuleContext, r: Rule) -> list[Finding]:
    """One rule's findings, unsorted (``check_rule`` also gives its undecided results)."""
    return check_rule(ctx, r).findings


def check_rules(ctx: RuleContext, rules: Sequence[Rule] | None = None) -> Outcome:
    """Run rules: sorted findings and undecided checks; a rule that breaks yields a GEN999 finding."""
    findings: list[Finding] = []
    undecided: list[Undecided] = []
    for r in rules if rules is not None else all_rules():
        outcome = check_rule(ctx, r)
        findings.extend(outcome.findings)
        undecided.extend(outcome.undecided)
    return Outcome(sort_findings(findings), sort_undecided(undecided))


def check_rule(ctx: RuleContext, r: Rule) -> Outcome:
    """One rule's findings and undecided results, unsorted; a rule that breaks gives GEN999.

    A rule whose facts do not exist on the inventory's operating system is not run (GEN004 names them).
    """
    if not applies_on(r, ctx.inventory.os.system):
        return Outcome()
    try:
        results = list(r.check(ctx))
    except Exception as exc:  # noqa: BLE001 - a rule bug must not hide the other findings
        return Outcome([Finding("GEN999", "rule-failed", "warning", "A check could not run",
                                f"rule {r.id} ({r.name}) failed: {type(exc).__name__}: {exc}", family="general",
                                docs="docs/rules/GEN999.md")])
    return Outcome([to_finding(r, h) for h in results if isinstance(h, Hit)],
                   [to_undecided(r, u) for u in results if isinstance(u, CannotDecide)])


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """The report's order: most severe first, then by rule ID and subject."""
    findings.sort(key=lambda f: (-SEVERITY_ORDER[f.severity], f.rule_id, f.subject or ""))
    return findings


def sort_undecided(undecided: list[Undecided]) -> list[Undecided]:
    """The report's order for undecided checks: most severe first, then by rule ID and subject."""
    undecided.sort(key=lambda u: (-SEVERITY_ORDER[u.severity], u.rule_id, u.subject or ""))
    return undecided


__all__ = ["CannotDecide", "Hit", "Outcome", "Rule", "RuleContext", "all_rules", "by_id", "check_rule", "check_rules",
           "run_rule", "run_rules", "select", "sort_findings", "sort_undecided"]
