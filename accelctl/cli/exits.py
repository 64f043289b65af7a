"""Exit codes and the one error boundary that renders accelctl's errors and maps them to exit codes.

An ``AccelctlError`` is printed the way pip prints its diagnostic errors (the
stable reference first, then what happened, where, and a hint) and exits with
its code (2 for usage and input errors); anything else is accelctl's own
failure, exit 3, with the traceback under ``--debug``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from accelctl.errors import AccelctlError, ExitCode, InputError, InternalError, UsageError

T = TypeVar("T")

Exit = ExitCode  # the name the commands have always used

INTERRUPTED = 130  # the shell's code for a process ended by SIGINT


def render_error(error: AccelctlError) -> str:
    """The text of an error for a terminal or a CI log (no colour, nothing wrapped)."""
    lines = [f"error: {error.reference}", "", *_indented(error.message, "")]
    if error.file:
        lines.append(f"  file: {error.file}")
    if error.field:
        lines.append(f"  {error.field_label}: {error.field}")
    lines.extend(f"  {detail}" for detail in error.details)
    if error.hint:
        lines.extend(_indented(error.hint, "hint: "))
    return "\n".join(lines) + "\n"


def _indented(text: str, first: str) -> list[str]:
    rest = " " * len(first)
    return [(first if i == 0 else rest) + line for i, line in enumerate(text.splitlines() or [""])]


def report(error: AccelctlError) -> int:
    """Write ``error`` to standard error; its exit code."""
    sys.stderr.write(render_error(error))
    sys.stderr.flush()
    return int(error.exit_code)


def fail(message: str, code: Exit = Exit.USAGE) -> NoReturn:
    """End the command with an error (kept for callers that have only a message)."""
    error: AccelctlError = InternalError(message) if code == Exit.INTERNAL else InputError(message)
    raise SystemExit(report(error))


def handle(exc: BaseException, debug: bool = False) -> int:
    """The exit code for an exception that ended a command, after telling the user about it."""
    if isinstance(exc, AccelctlError):
        return report(exc)
    code = _option_parser_error(exc)
    if code is not None:
        return code
    if isinstance(exc, KeyboardInterrupt):  # Ctrl-C, or a signal turned into one (it carries its number)
        sys.stderr.write("accelctl: interrupted\n")
        return 128 + int(getattr(exc, "signum", INTERRUPTED - 128))
    if isinstance(exc, BrokenPipeError):  # the reader went away (| head): nothing more can be said on that pipe
        return int(Exit.OK)
    if debug:
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    return report(InternalError(f"accelctl failed: {type(exc).__name__}: {exc}"))


def _click_exceptions() -> Any:
    """click's exception module: typer vendors click from 0.2x on, older typer uses click itself."""
    import importlib

    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def _option_parser_error(exc: BaseException) -> int | None:
    """The exit code of an error of the option parser (unknown option, bad value), rendered as accelctl's own;
    None for any other exception."""
    if type(exc).__module__.split(".")[0] not in ("typer", "click"):
        return None
    import typer

    if isinstance(exc, typer.Abort):  # Ctrl-C or end of input at a prompt
        return handle(KeyboardInterrupt())
    if isinstance(exc, typer.Exit):  # a command's own exit code, raised inside a body
        return int(exc.exit_code)
    click = _click_exceptions()
    if click is None or not isinstance(exc, click.UsageError):
        return None
    command = exc.ctx.command_path if exc.ctx is not None else "accelctl"
    if type(exc).__name__ == "NoArgsIsHelpError":  # a group called bare: its help is the answer
        exc.show()
        return int(Exit.USAGE)
    field = None
    if isinstance(exc, click.BadParameter):
        hint = exc.param_hint if exc.param is None else "/".join(getattr(exc.param, "opts", None) or [exc.param.name])
        field = hint if isinstance(hint, str) else None
    what = "commands and options" if command == "accelctl" else "options"
    return report(UsageError(exc.format_message(), field=field, hint=f"`{command} --help` lists the {what}"))


def guarded(fn: Callable[[], T], debug: bool = False) -> T:
    """Run a command body inside the error boundary; errors end the process with their exit code."""
    try:
        return fn()
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - the boundary: every failure becomes an exit code
        raise SystemExit(handle(exc, debug)) from None


__all__ = ["Exit", "InputError", "fail", "guarded", "handle", "render_error", "report"]
