"""--format junit: one test case per rule and subject: passed, failed (a finding) or skipped (undecided).

A rule that ran and reported nothing is one passed case (it names no subject:
a passing check does not say what it looked at). Rules do not report whether
they had anything to look at, so a rule with nothing to check here (a ROCm rule
on an NVIDIA node) is a passed case too. Findings at error or warning level are
failures; an info finding leaves its case passed, with the note in
``system-out``. An undecided check is skipped with what is unknown and what would
settle it; when the same rule and subject also failed, the failure wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from accelctl.findings import Finding, Undecided
from accelctl.record import record
from accelctl.report.model import Report


@record
class Cases:
    """Test cases as XML text, with the counts a ``testsuite`` element declares."""

    xml: list[str]
    failures: int = 0
    skipped: int = 0


def render(report: Report, suite: str = "accelctl doctor") -> str:
    cases = rule_cases(report.findings, report.undecided, report.checked)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites name="accelctl" tests="{len(cases.xml)}" failures="{cases.failures}" errors="0" '
            f'skipped="{cases.skipped}">\n'
            + testsuite(f"{suite} on {report.inventory.host}", cases)
            + "</testsuites>\n")


def testsuite(name: str, cases: Cases, indent: str = "  ") -> str:
    head = (f'{indent}<testsuite name={quoteattr(name)} tests="{len(cases.xml)}" failures="{cases.failures}" '
            f'errors="0" skipped="{cases.skipped}">\n')
    return head + "".join(f"{indent}  {case}\n" for case in cases.xml) + f"{indent}</testsuite>\n"


def rule_cases(findings: Sequence[Finding], undecided: Sequence[Undecided], checked: Sequence[str],
               prefix: str = "accelctl") -> Cases:
    """The cases of one checked inventory: per rule and subject with a result, then one per rule that passed.

    A case's class name is ``prefix`` and the rule's family ("accelctl.driver")."""
    from accelctl.rules import by_id

    registry = by_id()
    keys: dict[tuple[str, str], tuple[list[Finding], list[Undecided]]] = {}
    for f in findings:
        keys.setdefault((f.rule_id, f.subject or ""), ([], []))[0].append(f)
    for u in undecided:
        keys.setdefault((u.rule_id, u.subject or ""), ([], []))[1].append(u)
    xml: list[str] = []
    failures = skipped = 0
    for (rule_id, subject), (found, unknown) in sorted(keys.items()):
        first: Finding | Undecided = found[0] if found else unknown[0]
        head = _head(prefix, rule_id, first.rule_name, first.family, subject)
        bad = [f for f in found if f.severity in ("error", "warning")]
        notes = [f"[{f.severity}] {f.message}" for f in found if f not in bad]
        if bad:
            failures += 1
            text = "\n".join(f"[{f.severity}] {f.message}" for f in bad)
            body = [(f'<failure type={quoteattr(bad[0].severity)} message={quoteattr(bad[0].title)}>'
                     f'{escape(text)}</failure>')]
            notes += [_undecided_text(u) for u in unknown]
        elif unknown:
            skipped += 1  # undecided is not a pass: skipped, with what is unknown and what would settle it
            body = [f'<skipped message={quoteattr("; ".join(_undecided_text(u) for u in unknown))}/>']
        else:
            body = []
        if notes:
            body.append(f"<system-out>{escape(chr(10).join(notes))}</system-out>")
        xml.append("".join([head + ">", *body, "</testcase>"]))
    with_results = {rule_id for rule_id, _ in keys}
    for rule_id in sorted(set(checked) - with_results):
        rule = registry.get(rule_id)
        xml.append(_head(prefix, rule_id, rule.name if rule else "", rule.family if rule else "", "") + "/>")
    return Cases(xml, failures, skipped)


def _head(prefix: str, rule_id: str, name: str, family: str, subject: str) -> str:
    case = f"{rule_id} {name}".strip() + (f" [{subject}]" if subject else "")
    return f'<testcase classname={quoteattr(prefix + "." + (family or "rules"))} name={quoteattr(case)}'


def _undecided_text(u: Undecided) -> str:
    text = f"undecided: {u.message}"
    return text + (f" To decide: {'; '.join(u.settle)}." if u.settle else "")
