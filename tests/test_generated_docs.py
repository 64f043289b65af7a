"""Generated documentation must match the code that generates it."""

from __future__ import annotations

import json

from accelctl.rules import all_rules
from accelctl.rules.docs import rule_page
from accelctl.schema import inventory_schema, report_schema
from tests.conftest import REPO


def test_json_schemas_are_current():
    for name, schema in (("inventory", inventory_schema()), ("report", report_schema())):
        committed = json.loads((REPO / f"docs/schema/{name}.schema.json").read_text())
        assert committed == schema, f"docs/schema/{name}.schema.json is stale: run python -m accelctl.schema docs/schema"


def test_every_rule_has_a_current_docs_page():
    for r in all_rules():
        page = REPO / r.docs_path
        assert page.is_file(), f"{page} missing: run python -m accelctl.rules.gendocs"
        assert page.read_text() == rule_page(r), f"{page} is stale: run python -m accelctl.rules.gendocs"


def test_rule_ids_are_well_formed_and_unique():
    rules = all_rules()
    assert len({r.id for r in rules}) == len(rules)
    assert len({r.name for r in rules}) == len(rules)
    for r in rules:
        assert r.doc and "\n\n" in r.doc, f"{r.id}: docstring needs a title line and an explanation"
