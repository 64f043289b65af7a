"""`accelctl fix`: the fix-it plan on its own, or as a shell script (never run for you)."""

from __future__ import annotations

import sys

import typer

from accelctl.cli.exits import guarded


def register(app: typer.Typer) -> None:
    app.command("fix", help=(
        "Print the fix-it plan for this machine (or a snapshot). With --script, as a POSIX shell script with every "
        "argument quoted and alternatives commented out. accelctl never runs it: read it, then run it yourself."))(fix)


def fix(
    script: bool = typer.Option(False, "--script", help="Print the plan as a shell script."),
    from_file: str | None = typer.Option(None, "--from", metavar="FILE", help="Plan for a snapshot instead of this machine."),
    python: str | None = typer.Option(None, "--python", metavar="PATH", help="Inspect this interpreter's environment."),
    expect: list[str] = typer.Option([], "--expect", metavar="VENDOR"),
    assume: list[str] = typer.Option([], "--assume", metavar="KEY=VALUE"),
    matrices: list[str] = typer.Option([], "--matrices", metavar="DIR"),
    debug: bool = typer.Option(False, "--debug"),
) -> None:
    def body() -> int:
        from accelctl import doctor as logic
        from accelctl.cli.usage import check_expect, checked_assumptions
        from accelctl.plan.script import plan_script

        check_expect(expect)
        matrix_set = logic.matrix_set(matrices)
        assumptions = checked_assumptions(assume, matrix_set)
        inventory = logic.gather(logic.Source(snapshot=from_file, python=python), matrix_set)
        report = logic.diagnose(inventory, logic.Diagnosis(expect=expect, assume=assumptions, matrices=matrices),
                                matrix_set)
        if script:
            sys.stdout.write(plan_script(report.plan, report.inventory.host))
        else:
            from accelctl.report import renderer

            sys.stdout.write(renderer("markdown")(report))
        return 0

    raise typer.Exit(guarded(body, debug))
