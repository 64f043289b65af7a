"""Running a command safely: no shell, a hard timeout, bounded output."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from accelctl.host.base import CommandResult

if TYPE_CHECKING:
    import subprocess

_MAX_OUTPUT = 1 << 20


def run_command(argv: Sequence[str], timeout: float, env: Mapping[str, str] | None = None) -> CommandResult:
    """Run ``argv`` and return what happened; never raises, never waits past ``timeout``.

    The child gets its own process group so a wedged tool (nvidia-smi on a
    hung GPU) is killed with everything it started.
    """
    import subprocess  # here, not at import: a doctor that runs no command in its own process never loads it

    args = tuple(argv)
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
    except FileNotFoundError:
        return CommandResult(args, None, missing=True)
    except OSError as exc:
        return CommandResult(args, None, stderr=str(exc), missing=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return CommandResult(args, None, timed_out=True, duration_s=time.monotonic() - start)
    return CommandResult(
        args,
        proc.returncode,
        stdout=out[:_MAX_OUTPUT].decode("utf-8", errors="replace"),
        stderr=err[:_MAX_OUTPUT].decode("utf-8", errors="replace"),
        duration_s=time.monotonic() - start,
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    import signal
    import subprocess

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    try:
        proc.communicate(timeout=1.0)
    except (subprocess.TimeoutExpired, OSError, ValueError):
        pass
