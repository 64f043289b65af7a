"""The typer application: every command registered on a fresh app (imported only when needed)."""

from __future__ import annotations

import sys

import typer

from accelctl import __version__
from accelctl.cli import COMMANDS
from accelctl.cli.exits import Exit, handle

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


def build_app(only: str | None = None) -> typer.Typer:
    """A fresh application (no module-level state): every command, or just the module of ``only``.

    Turning a command's signature into a click command costs about 1 ms a
    command; a run needs one, while help and unknown names need them all.
    """
    import importlib

    app = typer.Typer(name="accelctl", help=HELP, no_args_is_help=True, add_completion=True,
                      pretty_exceptions_enable=False, rich_markup_mode=None)
    app.callback()(_root)
    modules = [COMMANDS[only]] if only in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for name in modules:
        importlib.import_module(f"accelctl.cli.{name}").register(app)
    return app


def _command_name(args: list[str]) -> str | None:
    """The subcommand named on the command line (the first word that is not an option)."""
    return next((a for a in args if not a.startswith("-")), None)


def main(argv: list[str] | None = None) -> None:
    """Run one command line; the process ends with its exit code (see ``accelctl.cli.exits``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    app = build_app(only=_command_name(args))
    try:
        code = app(args=args, prog_name="accelctl", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else int(Exit.USAGE))
    except BaseException as exc:  # noqa: BLE001 - the command line's one error boundary
        code = handle(exc, debug="--debug" in args)
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["build_app", "main"]
