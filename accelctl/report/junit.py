"""--format junit: one test case per rule that ran, failures for findings at error/warning."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from accelctl.findings import Finding
from accelctl.report.model import Report


def render(report: Report, suite: str = "accelctl doctor") -> str:
    by_rule: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    cases = []
    failures = 0
    for rule_id, findings in sorted(by_rule.items()):
        bad = [f for f in findings if f.severity in ("error", "warning")]
        name = f"{rule_id} {findings[0].rule_name}"
        if bad:
            failures += 1
            text = "\n".join(f"[{f.severity}] {f.message}" + (f" ({f.subject})" if f.subject else "") for f in bad)
            cases.append(f'    <testcase classname="accelctl.{findings[0].family}" name={quoteattr(name)}>\n'
                         f'      <failure type={quoteattr(bad[0].severity)} message={quoteattr(bad[0].title)}>{escape(text)}</failure>\n'
                         f'    </testcase>')
        else:
            notes = "\n".join(f.message for f in findings)
            cases.append(f'    <testcase classname="accelctl.{findings[0].family}" name={quoteattr(name)}>\n'
                         f'      <system-out>{escape(notes)}</system-out>\n    </testcase>')
    if not cases:
        cases.append('    <testcase classname="accelctl" name="no findings"/>')
    host = report.inventory.host
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name="accelctl" tests="{len(cases)}" failures="{failures}">\n'
        f'  <testsuite name={quoteattr(suite + " on " + host)} tests="{len(cases)}" failures="{failures}" errors="0" skipped="0">\n'
        + "\n".join(cases)
        + "\n  </testsuite>\n</testsuites>\n"
    )
