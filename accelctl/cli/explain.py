"""`accelctl explain RULE`: a rule's documentation page."""

from __future__ import annotations

import typer

from accelctl.cli.exits import guarded
from accelctl.errors import UsageError, did_you_mean


def register(app: typer.Typer) -> None:
    app.command("explain", help="Print the documentation of a rule, by ID (DRV001) or name.")(explain)
    app.command("rules", help="List every rule with its ID, severity and title.")(list_rules)


def explain(rule: str = typer.Argument(..., metavar="RULE", help="Rule ID or name, e.g. GEN001 or no-accelerator.")) -> None:
    from accelctl.rules import all_rules
    from accelctl.rules.docs import rule_page

    def body() -> None:
        rules = all_rules()
        for r in rules:
            if r.id == rule.upper() or r.name == rule:
                typer.echo(rule_page(r))
                return
        near = did_you_mean(rule, [name for r in rules for name in (r.id, r.name)])
        raise UsageError(f"no rule {rule!r}" + (f"; {near}" if near else ""), reference="unknown-rule", field="RULE",
                         hint="`accelctl rules` lists every rule with its ID and name")

    guarded(body)


def list_rules(json_out: bool = typer.Option(False, "--json", help="As JSON.")) -> None:
    from accelctl.rules import all_rules

    rules = all_rules()
    if json_out:
        import json

        typer.echo(json.dumps([{"id": r.id, "name": r.name, "family": r.family, "severity": r.severity,
                                "title": r.title, "docs": r.docs_path} for r in rules], indent=2))
        return
    for r in rules:
        typer.echo(f"{r.id:<8} {r.severity:<8} {r.name:<40} {r.title}")
