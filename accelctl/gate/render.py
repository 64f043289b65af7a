"""Gate outputs: a table of image x node class, Markdown for CI summaries, JSON, SARIF, JUnit."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import quoteattr

from accelctl import __version__
from accelctl.gate.evaluate import GateResult
from accelctl.serde import to_data

GATE_SCHEMA_VERSION = 1
_LABEL = {"error": "ERROR", "warning": "WARN", "info": "INFO"}
_MARK = {"runs": "✅ runs", "runs-with-warnings": "⚠️ runs with warnings", "fails": "❌ fails"}


def _ids(findings: Sequence[Any], severities: Sequence[str] = ("error", "warning"), undecided: Sequence[Any] = ()) -> str:
    """The rules that failed, then those that could not decide ("ARCH001 undecided")."""
    ids = sorted({f.rule_id for f in findings if f.severity in severities})
    open_ids = sorted({u.rule_id for u in undecided if u.severity in severities} - set(ids))
    return ", ".join(ids + [f"{i} undecided" for i in open_ids]) or "—"


def render_json(result: GateResult) -> str:
    data: dict[str, Any] = {
        "gate_schema_version": GATE_SCHEMA_VERSION,
        "accelctl_version": __version__,
        "image": result.image,
        "passed": not result.failed_required,
        "classes": [{
            "name": r.node_class.name, "required": r.node_class.required, "verdict": r.verdict,
            "findings": to_data(r.findings), "undecided": to_data(r.undecided), "plan": to_data(r.plan),
        } for r in result.results],
        "image_inventory": result.image_inventory.to_data(),
    }
    return json.dumps(data, indent=2) + "\n"


def render_markdown(result: GateResult) -> str:
    status = "passed" if not result.failed_required else f"FAILED ({len(result.failed_required)} required class(es) fail)"
    out = [f"## accelctl gate: {status}", "", f"Checked: {result.image}", "",
           "| node class | required | verdict | findings |", "|---|---|---|---|"]
    for r in result.results:
        out.append(f"| {r.node_class.name} | {'yes' if r.node_class.required else 'no'} | {_MARK[r.verdict]} | {_ids(r.findings, undecided=r.undecided)} |")
    for r in result.results:
        bad = [f for f in r.findings if f.severity in ("error", "warning")]
        if not bad:
            continue
        out += ["", f"### {r.node_class.name}: {_MARK[r.verdict]}", ""]
        out += [f"- **{f.rule_id}** ({f.severity}) {f.message}" for f in bad]
        if r.plan:
            out += ["", "Fix:"]
            for i, p in enumerate(r.plan, 1):
                out.append(f"{i}. {p.step.title}" + (f" ({p.step.alternative})" if p.step.alternative else ""))
                out += [f"   - `{c}`" for c in p.step.commands]
    return "\n".join(out) + "\n"


def render_text(result: GateResult, color: bool = False, width: int | None = None) -> str:
    from rich.table import Table
    from rich.text import Text

    from accelctl.report.text import command, console_for, finish, hanging

    buf = io.StringIO()
    console = console_for(buf, color, width)
    failed = result.failed_required
    console.print(Text(f"accelctl gate: {'passed' if not failed else 'FAILED'} — {result.image}",
                       style="bold green" if not failed else "bold red"))
    table = Table(show_lines=False)
    table.add_column("node class", overflow="fold")
    table.add_column("required", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("findings", overflow="fold")
    style = {"runs": "green", "runs-with-warnings": "yellow", "fails": "red"}
    for r in result.results:
        table.add_row(r.node_class.name, "yes" if r.node_class.required else "no",
                      Text(r.verdict, style=style[r.verdict]), _ids(r.findings, undecided=r.undecided))
    console.print(table)
    for r in result.results:
        for f in (f for f in r.findings if f.severity in ("error", "warning")):
            line = Text()
            line.append(f"{r.node_class.name} ", style="bold")
            line.append(f"{f.rule_id}: {f.message}")
            hanging(console, f"{_LABEL[f.severity]:<6}", line, lead_style="bold red" if f.severity == "error" else "yellow")
        for u in r.undecided:
            line = Text()
            line.append(f"{r.node_class.name} ", style="bold")
            line.append(f"{u.rule_id}: {u.message}" + (f" To decide: {'; '.join(u.settle)}." if u.settle else ""))
            hanging(console, f"{'UNDEC':<6}", line, lead_style="yellow")
        for i, p in enumerate(r.plan, 1):
            lead = f"  fix {i}: "
            alt = f"  (alternative: {p.step.alternative})" if p.step.alternative else ""
            hanging(console, lead, f"{p.step.title}{alt}")
            for c in p.step.commands:
                command(console, c, indent=" " * (len(lead) + 2))
    return finish(buf)


def _location(result: GateResult, node_class: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The class's entry in the fleet spec (a stand-in path when the spec is not in the checkout), with the class
    and the image as logical names."""
    from accelctl.report.locations import stand_in_uri
    from accelctl.report.sarif import physical_location

    uri = result.fleet_uri or stand_in_uri("fleet", "fleet.yaml")
    logical = [{"name": node_class, "fullyQualifiedName": f"{uri}#{node_class}", "kind": "resource"},
               {"name": result.image, "kind": "resource"}]
    in_spec = physical_location(uri, result.class_lines.get(node_class), logical)
    if not result.dockerfile_uri:
        return in_spec, []
    # the image's findings are fixed in its Dockerfile: code scanning shows the first location, the class's
    # entry in the fleet spec stays as a related one
    located = physical_location(result.dockerfile_uri, result.dockerfile_line, logical)
    return located, [{"physicalLocation": in_spec["physicalLocation"], "message": {"text": f"node class {node_class}"}}]


def render_sarif(result: GateResult) -> str:
    from accelctl.findings import Finding, Undecided
    from accelctl.report.sarif import document, result_for

    results = []
    items: list[Finding | Undecided] = []
    for r in result.results:
        name = r.node_class.name
        location, related = _location(result, name)
        extra = {"nodeClass": name, "required": r.node_class.required, "image": result.image}
        own: list[Finding | Undecided] = [*r.findings, *r.undecided]
        for item in own:
            items.append(item)
            results.append(result_for(item, location, (item.rule_id, result.fleet_uri or "", name, item.subject or ""),
                                      prefix=f"[{name}] ", extra=extra, related=related))
    return document(results, items)


def render_junit(result: GateResult) -> str:
    from accelctl.report.junit import rule_cases, testsuite

    suites = []
    tests = failures = skipped = 0
    for r in result.results:
        cases = rule_cases(r.findings, r.undecided, r.checked, prefix=f"accelctl.gate.{r.node_class.name}")
        tests, failures, skipped = tests + len(cases.xml), failures + cases.failures, skipped + cases.skipped
        kind = "required" if r.node_class.required else "optional"
        suites.append(testsuite(f"gate {r.node_class.name} ({kind}): {r.verdict}", cases))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites name={quoteattr("accelctl gate: " + result.image)} tests="{tests}" failures="{failures}" '
            f'errors="0" skipped="{skipped}">\n'
            + "".join(suites) + "</testsuites>\n")


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json, "sarif": render_sarif, "junit": render_junit}
