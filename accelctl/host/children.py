"""Child processes of the doctor: reaped without ever hanging, and how they ended, in words."""

from __future__ import annotations

import os
import time

# How long an ended or killed child may take to be reaped before it is left to the system: a process stuck
# inside a driver call cannot die until the call returns, and the doctor must not wait for it.
REAP_WAIT_S = 1.0


def reap(pid: int) -> int | None:
    """The child's wait status once it has ended, or None after REAP_WAIT_S (or when it is not our child)."""
    end = time.monotonic() + REAP_WAIT_S
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if done:
            return status
        if time.monotonic() >= end:
            return None
        time.sleep(0.0005)


def kill(pid: int) -> None:
    """SIGKILL ``pid``, which may already be gone."""
    import signal  # an enum module: only where a child is killed or its end described

    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def describe_status(status: int | None) -> str:
    if status is None:
        return "its exit status is unknown"
    if os.WIFSIGNALED(status):
        import signal

        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"killed by {name}"
    return f"exit code {os.WEXITSTATUS(status)}"
