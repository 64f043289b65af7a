"""--format junit: one test case per rule with a result; failures for findings at error/warning, skipped for undecided."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from accelctl.findings import Finding, Undecided
from accelctl.report.model import Report


def render(report: Report, suite: str = "accelctl doctor") -> str:
    by_rule: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    open_by_rule: dict[str, list[Undecided]] = {}
    for u in report.undecided:
        open_by_rule.setdefault(u.rule_id, []).append(u)
    cases = []
    failures = skipped = 0
    for rule_id in sorted(set(by_rule) | set(open_by_rule)):
        findings, unknown = by_rule.get(rule_id, []), open_by_rule.get(rule_id, [])
        first = findings[0] if findings else unknown[0]
        head = f'    <testcase classname="accelctl.{first.family}" name={quoteattr(f"{rule_id} {first.rule_name}")}>'
        bad = [f for f in findings if f.severity in ("error", "warning")]
        notes = "\n".join([f.message for f in findings if f not in bad] + [_undecided_text(u) for u in unknown if bad])
        if bad:
            failures += 1
            text = "\n".join(f"[{f.severity}] {f.message}" + (f" ({f.subject})" if f.subject else "") for f in bad)
            body = f'      <failure type={quoteattr(bad[0].severity)} message={quoteattr(bad[0].title)}>{escape(text)}</failure>'
        elif unknown:
            # Undecided is not a pass: the case is skipped, with what is unknown and what would settle it.
            skipped += 1
            body = f'      <skipped message={quoteattr("; ".join(_undecided_text(u) for u in unknown))}/>'
        else:
            body = ""
        parts = [head] + ([body] if body else []) + ([f"      <system-out>{escape(notes)}</system-out>"] if notes else [])
        cases.append("\n".join(parts + ["    </testcase>"]))
    if not cases:
        cases.append('    <testcase classname="accelctl" name="no findings"/>')
    host = report.inventory.host
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name="accelctl" tests="{len(cases)}" failures="{failures}" skipped="{skipped}">\n'
        f'  <testsuite name={quoteattr(suite + " on " + host)} tests="{len(cases)}" failures="{failures}" errors="0" '
        f'skipped="{skipped}">\n'
        + "\n".join(cases)
        + "\n  </testsuite>\n</testsuites>\n"
    )


def _undecided_text(u: Undecided) -> str:
    text = f"undecided: {u.message}" + (f" ({u.subject})" if u.subject else "")
    return text + (f" To decide: {'; '.join(u.settle)}." if u.settle else "")
