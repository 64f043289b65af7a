"""JSON Schemas generated from the dataclasses, so the documented schema cannot drift.

``python -m accelctl.schema docs/schema`` writes ``inventory.schema.json`` and
``report.schema.json``; a test fails when the committed files are stale.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, Union

from accelctl.serde import type_hints

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _schema_for(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return {}
    if origin is Union or origin is types.UnionType:
        options = [_schema_for(a, defs) for a in args if a is not type(None)]
        schema = options[0] if len(options) == 1 else {"anyOf": options}
        if type(None) in args:
            return {"anyOf": [schema, {"type": "null"}]}
        return schema
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (list, tuple):
        return {"type": "array", "items": _schema_for(args[0], defs) if args else {}}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema_for(args[1], defs) if args else {}}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # reserve: recursive types
            hints = type_hints(tp)
            props = {f.name: _schema_for(hints[f.name], defs) for f in dataclasses.fields(tp)}
            required = [f.name for f in dataclasses.fields(tp)
                        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]  # type: ignore[misc]
            body: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
            if tp.__doc__ and not tp.__doc__.startswith(f"{name}("):
                body["description"] = " ".join(tp.__doc__.split())
            if required:
                body["required"] = required
            defs[name] = body
        return {"$ref": f"#/$defs/{name}"}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if tp in simple:
        return {"type": simple[tp]}
    raise TypeError(f"no schema for {tp!r}")


def inventory_schema() -> dict[str, Any]:
    from accelctl.inventory import SCHEMA_VERSION, Inventory

    defs: dict[str, Any] = {}
    root = _schema_for(Inventory, defs)
    return {
        "$schema": DIALECT,
        "$id": "https://accelctl.dev/schema/inventory.schema.json",
        "title": f"accelctl inventory (schema_version {SCHEMA_VERSION})",
        "description": "Everything accelctl learned about one machine: `doctor --snapshot` writes it, `doctor --from` reads it.",
        **root,
        "$defs": defs,
    }


def report_schema() -> dict[str, Any]:
    from accelctl.findings import Finding, Undecided
    from accelctl.plan.fixit import PlanStep
    from accelctl.report.model import REPORT_SCHEMA_VERSION, Summary

    defs: dict[str, Any] = {}
    inv = inventory_schema()
    defs.update(inv["$defs"])
    props = {
        "report_schema_version": {"const": REPORT_SCHEMA_VERSION},
        "accelctl_version": {"type": "string"},
        "summary": _schema_for(Summary, defs),
        "findings": {"type": "array", "items": _schema_for(Finding, defs)},
        "undecided": {"type": "array", "items": _schema_for(Undecided, defs)},
        "plan": {"type": "array", "items": _schema_for(PlanStep, defs)},
        "inventory": {"$ref": "#/$defs/Inventory"},
    }
    return {
        "$schema": DIALECT,
        "$id": "https://accelctl.dev/schema/report.schema.json",
        "title": f"accelctl doctor --json report (report_schema_version {REPORT_SCHEMA_VERSION})",
        "type": "object",
        "properties": props,
        "required": list(props),
        "additionalProperties": False,
        "$defs": defs,
    }


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, schema in (("inventory", inventory_schema()), ("report", report_schema())):
        (folder / f"{name}.schema.json").write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schema"))
