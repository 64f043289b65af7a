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
            "properties": {"evidence": [{"fact": e.fact, "value": e.value, "source": e.source} for e in f.evidence]},
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
