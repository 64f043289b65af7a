"""Terminal facts for human-facing output: colour, width, and a progress display on standard error.

Colour follows the usual conventions: an explicit ``--color``/``--no-color`` wins;
then ``NO_COLOR`` (any non-empty value, https://no-color.org) turns it off and
``FORCE_COLOR`` (non-empty) turns it on; otherwise colour only on a terminal that
is not ``TERM=dumb``. Progress is shown only when standard error is a terminal, so
pipes, files and CI logs get none.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any

DEFAULT_WIDTH = 100  # not a terminal: wide enough for the facts table, narrow enough to read
MIN_WIDTH = 40
MAX_WIDTH = 120  # wider terminals get this: long lines are hard to read


def _isatty(stream: IO[str] | Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def color_wanted(flag: bool | None, stream: IO[str] | Any, env: Mapping[str, str], to_file: bool = False) -> bool:
    """Whether to colour output written to ``stream`` (``to_file``: it goes to --output instead)."""
    if flag is not None:
        return flag
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    return not to_file and _isatty(stream) and env.get("TERM") != "dumb"


def terminal_width(stream: IO[str] | Any, env: Mapping[str, str]) -> int:
    """Columns to lay text out in: ``COLUMNS``, else the terminal's width, else ``DEFAULT_WIDTH``."""
    width = 0
    columns = env.get("COLUMNS", "")
    if columns.isdigit():
        width = int(columns)
    elif _isatty(stream):
        try:
            width = os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            width = 0
    if not width:
        return DEFAULT_WIDTH
    return max(MIN_WIDTH, min(MAX_WIDTH, width))


Advance = Callable[[str], None]


def _nothing(what: str = "") -> None:
    """Progress where none is shown."""


@contextlib.contextmanager
def progress(description: str, total: int | None, stream: IO[str] | Any, env: Mapping[str, str]) -> Iterator[Advance]:
    """A rich progress display on ``stream`` when it is a terminal; ``advance(what)`` marks one item done.

    ``total`` None shows a spinner (one step of unknown length). Elsewhere ``advance`` does nothing.
    """
    if not _isatty(stream) or env.get("TERM") == "dumb":
        yield _nothing
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(file=stream, stderr=True)
    columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn()]
    columns += [TimeElapsedColumn(), TextColumn("[dim]{task.fields[what]}")]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total, what="")

        def advance(what: str = "") -> None:
            bar.update(task, advance=1 if total is not None else 0, what=what)

        yield advance
