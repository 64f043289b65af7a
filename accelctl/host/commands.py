"""Running a command safely: no shell, a hard timeout, bounded output."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from accelctl.host.base import CommandResult

if TYPE_CHECKING:
    import subprocess

    from accelctl.host.deadline import Deadline

_MAX_OUTPUT = 1 << 20


def run_within(argv: Sequence[str], timeout: float, deadline: Deadline,
               env: Mapping[str, str] | None = None) -> CommandResult:
    """``run_command`` with its timeout shrunk to what is left of the run's ``deadline``.

    A command the deadline stops (or that starts after it has passed, and so is not
    run at all) says so in its result, so the unknown names the deadline, not the tool.
    """
    left = deadline.left()
    if left <= 0.0:
        return CommandResult(tuple(argv), None, timed_out=True, stopped_by=deadline.describe())
    result = run_command(argv, min(timeout, left), env=env)
    if result.timed_out and left < timeout:
        return dataclasses.replace(result, stopped_by=deadline.describe())
    return result


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
        out, err, overflow = _read_capped(proc, start + timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return CommandResult(args, None, timed_out=True, duration_s=time.monotonic() - start)
    except BaseException:  # Ctrl-C or SIGTERM while waiting: the tool and its children go too
        _kill_group(proc)
        raise
    if overflow:
        # A tool that prints without end (a wedged nvidia-smi) is stopped at the cap, not read to the end.
        _kill_group(proc)
        err = f"{args[0]}: output larger than {_MAX_OUTPUT} bytes; stopped\n".encode() + err
    else:
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
    return CommandResult(
        args,
        proc.returncode,
        stdout=out.decode("utf-8", errors="replace"),
        stderr=err.decode("utf-8", errors="replace"),
        duration_s=time.monotonic() - start,
    )


def _read_capped(proc: subprocess.Popen[bytes], deadline: float) -> tuple[bytes, bytes, bool]:
    """Both output streams up to ``_MAX_OUTPUT`` bytes each, read as they come, then the exit status.

    Returns (stdout, stderr, overflowed); raises TimeoutExpired at ``deadline``. Memory stays
    at the cap whatever the tool prints (``communicate`` would keep all of it).
    """
    import selectors
    import subprocess

    assert proc.stdout is not None and proc.stderr is not None
    kept: dict[int, list[bytes]] = {proc.stdout.fileno(): [], proc.stderr.fileno(): []}
    sizes = dict.fromkeys(kept, 0)
    with selectors.DefaultSelector() as selector:
        for stream in (proc.stdout, proc.stderr):
            selector.register(stream.fileno(), selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(proc.args, 0)
            for key, _ in selector.select(left):
                fd = key.fd
                piece = os.read(fd, 64 << 10)
                if not piece:
                    selector.unregister(fd)
                    continue
                room = _MAX_OUTPUT - sizes[fd]
                kept[fd].append(piece[:room])
                sizes[fd] += len(piece)
                if sizes[fd] > _MAX_OUTPUT:
                    return b"".join(kept[proc.stdout.fileno()]), b"".join(kept[proc.stderr.fileno()]), True
    proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    return b"".join(kept[proc.stdout.fileno()]), b"".join(kept[proc.stderr.fileno()]), False


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the tool's process group and reap it; its pipes are closed, never drained (it may print forever)."""
    import signal
    import subprocess

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    try:
        proc.wait(timeout=1.0)
    except (subprocess.TimeoutExpired, OSError):
        pass
