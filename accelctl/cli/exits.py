"""Exit codes and the one error boundary that maps failures to them."""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

T = TypeVar("T")


class Exit(enum.IntEnum):
    OK = 0  # clean, or findings below the --fail-on threshold
    FINDINGS = 1  # findings at or above the --fail-on threshold
    USAGE = 2  # bad arguments or bad input files (snapshots, matrices, fleet specs)
    INTERNAL = 3  # accelctl itself failed


class InputError(Exception):
    """A user-supplied file or argument is unusable; the message names it."""


def fail(message: str, code: Exit = Exit.USAGE) -> NoReturn:
    sys.stderr.write(f"accelctl: error: {message}\n")
    raise SystemExit(int(code))


def guarded(fn: Callable[[], T], debug: bool = False) -> T:
    """Run a command body: known input errors exit 2, anything unexpected exits 3."""
    from accelctl.inventory import SnapshotError
    from accelctl.matrices import MatrixError

    try:
        return fn()
    except SystemExit:
        raise
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP where accelctl.interrupts.signals_raise is active
        sys.stderr.write("accelctl: interrupted\n")
        raise SystemExit(128 + getattr(exc, "signum", 2))
    except (InputError, SnapshotError) as exc:
        fail(str(exc))
    except MatrixError as exc:
        sys.stderr.write("accelctl: error: invalid matrix data:\n" + "".join(f"  {p}\n" for p in exc.problems))
        raise SystemExit(int(Exit.USAGE))
    except BrokenPipeError:
        raise SystemExit(0)
    except Exception as exc:
        if debug:
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (run again with --debug for the traceback)", Exit.INTERNAL)
