"""The command line: thin commands that parse options, call the logic, render the result."""

from __future__ import annotations

import sys
from typing import List, Optional

import typer

from accelctl import __version__
from accelctl.cli.exits import Exit, guarded

HELP = (
    "Runtime compatibility doctor for AI accelerator nodes.\n\n"
    "Probes drivers, GPUs, toolkits, native libraries and framework wheels, checks them against "
    "sourced compatibility matrices, and tells you what is broken and exactly how to fix it.\n\n"
    "Exit codes: 0 clean (or below --fail-on), 1 findings at/above --fail-on, 2 bad usage or input file, "
    "3 accelctl itself failed."
)


def _version(value: bool) -> None:
    if value:
        print(f"accelctl {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Runtime compatibility doctor for AI accelerator nodes."""


def build_app() -> typer.Typer:
    """A fresh application with every command registered (no module-level state)."""
    from accelctl.cli import capture, doctor, explain, fix, fleet, gate, matrices, plan

    app = typer.Typer(name="accelctl", help=HELP, no_args_is_help=True, add_completion=False,
                      pretty_exceptions_enable=False, rich_markup_mode=None)
    app.callback()(_root)
    doctor.register(app)
    explain.register(app)
    fix.register(app)
    matrices.register(app)
    plan.register(app)
    gate.register(app)
    fleet.register(app)
    capture.register(app)
    return app


def main(argv: Optional[List[str]] = None) -> None:
    app = build_app()
    try:
        app(args=argv, prog_name="accelctl", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else int(Exit.USAGE))
        sys.exit(code)


__all__ = ["build_app", "guarded", "main"]
