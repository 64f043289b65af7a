"""Outputs of ``accelctl fleet``: a roll-up by rule, then the nodes that need attention."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from accelctl import __version__
from accelctl.report.fleet_model import FLEET_SCHEMA_VERSION, FleetReport, NodeResult, RuleCount
from accelctl.serde import to_data

FLEET_FORMATS = ("text", "json", "markdown")


def _headline(report: FleetReport) -> str:
    c = report.counts()
    parts = [f"{c['errors']} with errors", f"{c['warnings']} with warnings only", f"{c['ok']} clean"]
    if c["unreadable"]:
        parts.append(f"{c['unreadable']} unreadable")
    return f"accelctl fleet: {len(report.nodes)} snapshot(s): " + ", ".join(parts)


def _attention(report: FleetReport) -> list[NodeResult]:
    order = {"unreadable": 0, "errors": 1, "warnings": 2, "ok": 3}
    return sorted((n for n in report.nodes if n.verdict != "ok"), key=lambda n: (order[n.verdict], n.node))


def _node_ids(node: NodeResult) -> str:
    """The rules that failed, then those that could not decide ("ARCH001 undecided")."""
    failed = sorted({f.rule_id for f in node.findings if f.severity != "info" and f.state == "failed"})
    undecided = sorted({f.rule_id for f in node.findings if f.severity != "info" and f.state == "undecided"})
    return ", ".join(failed + [f"{r} undecided" for r in undecided]) or "—"


def _level(r: RuleCount) -> str:
    return r.severity if r.state == "failed" else "undecided"


def _hang(lead: str, text: str, width: int) -> list[str]:
    """``lead`` then ``text`` wrapped to ``width`` columns, continuation lines under the text."""
    return textwrap.wrap(text, width=max(width, len(lead) + 20), initial_indent=lead,
                         subsequent_indent=" " * len(lead), break_on_hyphens=False,
                         break_long_words=False) or [lead.rstrip()]


def render_text(report: FleetReport, limit: int = 50, width: int = 100) -> str:
    out = [*_hang("", _headline(report), width), ""]
    rules = report.by_rule()
    if rules:
        id_width = max(len(r.rule_id) for r in rules)
        out.append("By rule (nodes affected):")
        for r in rules:
            out += _hang(f"  {r.rule_id:<{id_width}}  {_level(r):<9}  {r.nodes:>6}  ", r.title, width)
        out.append("")
    nodes = _attention(report)
    if nodes:
        out.append("Nodes to look at:" if len(nodes) <= limit else f"Nodes to look at (first {limit} of {len(nodes)}; --json has all):")
        for n in nodes[:limit]:
            detail = n.error if n.error is not None else _node_ids(n)
            out += _hang(f"  {n.node:<24} {n.verdict:<10} ", detail, width)
        out.append("")
        out.append("Details of one node: accelctl doctor --from SNAPSHOT")
    return "\n".join(out).rstrip() + "\n"


def render_markdown(report: FleetReport, limit: int = 200) -> str:
    out = [f"## {_headline(report)}", ""]
    rules = report.by_rule()
    if rules:
        out += ["| rule | severity | nodes | title |", "|---|---|---|---|"]
        out += [f"| {r.rule_id} | {_level(r)} | {r.nodes} | {r.title} |" for r in rules]
        out.append("")
    nodes = _attention(report)
    if nodes:
        out += ["| node | verdict | rules / problem |", "|---|---|---|"]
        for n in nodes[:limit]:
            detail = n.error if n.error is not None else _node_ids(n)
            out.append(f"| `{n.node}` | {n.verdict} | {detail.replace('|', '/')} |")
        if len(nodes) > limit:
            out.append(f"\n{len(nodes) - limit} more node(s) in the JSON output.")
    return "\n".join(out).rstrip() + "\n"


def render_json(report: FleetReport) -> str:
    data: dict[str, Any] = {
        "fleet_schema_version": FLEET_SCHEMA_VERSION,
        "accelctl_version": __version__,
        "summary": report.counts(),
        "rules": to_data(report.by_rule()),
        "nodes": [{**to_data(n), "verdict": n.verdict} for n in report.nodes],
    }
    return json.dumps(data, indent=2) + "\n"
