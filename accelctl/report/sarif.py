"""--format sarif: SARIF 2.1.0 for code-scanning dashboards."""

from __future__ import annotations

import json

from accelctl import __version__
from accelctl.report.model import Report
from accelctl.rules.base import DOCS_BASE

_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render(report: Report) -> str:
    rules: dict[str, dict] = {}
    results = []
    for f in report.findings:
        rules.setdefault(f.rule_id, {
            "id": f.rule_id,
            "name": f.rule_name,
            "shortDescription": {"text": f.title},
            "fullDescription": {"text": f.explanation or f.title},
            "helpUri": f"{DOCS_BASE}/{f.rule_id}.md",
            "defaultConfiguration": {"level": _LEVEL[f.severity]},
        })
        results.append({
            "ruleId": f.rule_id,
            "ruleIndex": list(rules).index(f.rule_id),
            "level": _LEVEL[f.severity],
            "message": {"text": f.message + (f" [{f.subject}]" if f.subject else "")},
            "locations": [{
                "physicalLocation": {"artifactLocation": {"uri": _location(f)}},
            }],
            "properties": {"accelctl/state": "failed",
                           "evidence": [{"fact": e.fact, "value": e.value, "source": e.source} for e in f.evidence]},
        })
    for u in report.undecided:
        # A result at warning (or note) level, marked by a property: code scanning shows results, not
        # notifications, and SARIF's kind "open" (could not decide) would force level "none", which hides it.
        rules.setdefault(u.rule_id, {
            "id": u.rule_id,
            "name": u.rule_name,
            "shortDescription": {"text": u.title},
            "fullDescription": {"text": u.title},
            "helpUri": f"{DOCS_BASE}/{u.rule_id}.md",
            "defaultConfiguration": {"level": _LEVEL[u.severity]},
        })
        settle = f" To decide: {'; '.join(u.settle)}." if u.settle else ""
        results.append({
            "ruleId": u.rule_id,
            "ruleIndex": list(rules).index(u.rule_id),
            "level": _LEVEL[u.severity],
            "message": {"text": f"Undecided: {u.message}" + (f" [{u.subject}]" if u.subject else "") + settle},
            "locations": [{"physicalLocation": {"artifactLocation": {
                "uri": "accelctl://" + (u.subject or u.rule_id).replace(" ", "_")}}}],
            "properties": {"accelctl/state": "undecided", "missing": list(u.missing), "settle": list(u.settle)},
        })
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "accelctl", "version": __version__, "informationUri": DOCS_BASE.rsplit("/docs", 1)[0],
                                "rules": list(rules.values())}},
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2) + "\n"


def _location(f) -> str:
    for e in f.evidence:
        if e.source.startswith("/"):
            return "file://" + e.source.split(" ")[0]
    return "accelctl://" + (f.subject or f.rule_id).replace(" ", "_")
