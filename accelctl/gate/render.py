"""Gate outputs: a table of image x node class, Markdown for CI summaries, JSON, SARIF, JUnit."""

from __future__ import annotations

import io
import json
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from accelctl import __version__
from accelctl.gate.evaluate import GateResult
from accelctl.serde import to_data

GATE_SCHEMA_VERSION = 1
_MARK = {"runs": "✅ runs", "runs-with-warnings": "⚠️ runs with warnings", "fails": "❌ fails"}


def _ids(findings: list[Any], severities=("error", "warning")) -> str:
    ids = sorted({f.rule_id for f in findings if f.severity in severities})
    return ", ".join(ids) or "—"


def render_json(result: GateResult) -> str:
    data: dict[str, Any] = {
        "gate_schema_version": GATE_SCHEMA_VERSION,
        "accelctl_version": __version__,
        "image": result.image,
        "passed": not result.failed_required,
        "classes": [{
            "name": r.node_class.name, "required": r.node_class.required, "verdict": r.verdict,
            "findings": to_data(r.findings), "plan": to_data(r.plan),
        } for r in result.results],
        "image_inventory": result.image_inventory.to_data(),
    }
    return json.dumps(data, indent=2) + "\n"


def render_markdown(result: GateResult) -> str:
    status = "passed" if not result.failed_required else f"FAILED ({len(result.failed_required)} required class(es) fail)"
    out = [f"## accelctl gate: {status}", "", f"Image: `{result.image}`", "",
           "| node class | required | verdict | findings |", "|---|---|---|---|"]
    for r in result.results:
        out.append(f"| {r.node_class.name} | {'yes' if r.node_class.required else 'no'} | {_MARK[r.verdict]} | {_ids(r.findings)} |")
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


def render_text(result: GateResult, color: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=110, highlight=False)
    failed = result.failed_required
    console.print(f"accelctl gate: {'passed' if not failed else 'FAILED'} — image {result.image}",
                  style="bold green" if not failed else "bold red")
    table = Table(show_lines=False)
    for col in ("node class", "required", "verdict", "findings"):
        table.add_column(col)
    style = {"runs": "green", "runs-with-warnings": "yellow", "fails": "red"}
    for r in result.results:
        table.add_row(r.node_class.name, "yes" if r.node_class.required else "no",
                      f"[{style[r.verdict]}]{r.verdict}[/]", _ids(r.findings))
    console.print(table)
    for r in result.results:
        for f in (f for f in r.findings if f.severity in ("error", "warning")):
            console.print(f"[bold]{r.node_class.name}[/] {f.severity.upper()} {f.rule_id}: {f.message}", highlight=False)
        for i, p in enumerate(r.plan, 1):
            console.print(f"  fix {i}: {p.step.title}")
            for c in p.step.commands:
                console.print(f"    $ {c}", style="green")
    return buf.getvalue()


def render_sarif(result: GateResult) -> str:
    from accelctl.rules.base import DOCS_BASE

    rules: dict[str, dict[str, Any]] = {}
    results = []
    level = {"error": "error", "warning": "warning", "info": "note"}
    for r in result.results:
        for f in r.findings:
            rules.setdefault(f.rule_id, {"id": f.rule_id, "name": f.rule_name, "shortDescription": {"text": f.title},
                                         "helpUri": f"{DOCS_BASE}/{f.rule_id}.md"})
            results.append({"ruleId": f.rule_id, "ruleIndex": list(rules).index(f.rule_id), "level": level[f.severity],
                            "message": {"text": f"[{r.node_class.name}] {f.message}"},
                            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"image://{result.image}"}}}],
                            "properties": {"nodeClass": r.node_class.name, "required": r.node_class.required}})
    doc = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "accelctl", "version": __version__, "rules": list(rules.values())}},
                     "results": results}]}
    return json.dumps(doc, indent=2) + "\n"


def render_junit(result: GateResult) -> str:
    suites = []
    total_fail = 0
    for r in result.results:
        bad = [f for f in r.findings if f.severity == "error"]
        fails = 1 if r.verdict == "fails" else 0
        total_fail += fails
        body = "\n".join(f"[{f.rule_id}] {f.message}" for f in bad)
        case = (f'    <testcase classname="accelctl.gate" name={quoteattr(r.node_class.name)}>\n'
                + (f'      <failure message={quoteattr(_ids(bad, ("error",)))}>{escape(body)}</failure>\n' if fails else "")
                + "    </testcase>")
        suites.append(f'  <testsuite name={quoteattr("gate " + r.node_class.name)} tests="1" failures="{fails}" errors="0" skipped="0">\n'
                      f"{case}\n  </testsuite>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites name={quoteattr("accelctl gate " + result.image)} tests="{len(result.results)}" failures="{total_fail}">\n'
            + "\n".join(suites) + "\n</testsuites>\n")


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json, "sarif": render_sarif, "junit": render_junit}
