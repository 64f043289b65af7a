"""The command line: thin commands that parse options, call the logic, render the result."""

from __future__ import annotations

import sys
from typing import List, Optional

import typer

from accelctl import __version__
from accelctl.cli.exits import Exit, guarded

app = typer.Typer(
    name="accelctl",
    help=(
        "Runtime compatibility doctor for AI accelerator nodes.\n\n"
        "Probes drivers, GPUs, toolkits, native libraries and framework wheels, checks them against "
        "sourced compatibility matrices, and tells you what is broken and exactly how to fix it.\n\n"
        "Exit codes: 0 clean (or below --fail-on), 1 findings at/above --fail-on, 2 bad usage or input file, "
        "3 accelctl itself failed."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"accelctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Runtime compatibility doctor for AI accelerator nodes."""


def _register() -> None:
    from accelctl.cli import capture, doctor, explain, matrices

    doctor.register(app)
    explain.register(app)
    matrices.register(app)
    capture.register(app)


def main(argv: Optional[List[str]] = None) -> None:
    _register()
    try:
        app(args=argv, prog_name="accelctl", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else int(Exit.USAGE))
        sys.exit(code)


__all__ = ["app", "guarded", "main"]
