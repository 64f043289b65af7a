"""--json: the report as a stable, versioned JSON document (docs/schema/report.schema.json)."""

from __future__ import annotations

import json

from accelctl.report.model import Report


def render(report: Report) -> str:
    return json.dumps(report.to_data(), indent=2) + "\n"
