"""The command line: thin commands that parse options, call the logic, render the result.

This package imports no CLI framework by itself: ``accelctl.cli.app`` builds the
typer application when a command line needs it.
"""

from __future__ import annotations

from typing import Any

from accelctl.cli.exits import Exit, guarded

# Command name -> the module that registers it (`rules` lives with `explain`).
COMMANDS = {"doctor": "doctor", "explain": "explain", "rules": "explain", "fix": "fix", "matrices": "matrices",
            "plan": "plan", "gate": "gate", "fleet": "fleet", "capture": "capture"}


def build_app(only: str | None = None) -> Any:
    from accelctl.cli.app import build_app as build

    return build(only)


def main(argv: list[str] | None = None) -> None:
    from accelctl.cli.app import main as run

    run(argv)


__all__ = ["COMMANDS", "Exit", "build_app", "guarded", "main"]
