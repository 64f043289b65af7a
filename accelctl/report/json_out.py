"""--json: the report as a stable, versioned JSON document (docs/schema/report.schema.json)."""

from __future__ import annotations

from accelctl.jsontext import dumps_indent2
from accelctl.report.model import Report


def render(report: Report) -> str:
    return dumps_indent2(report.to_data()) + "\n"
