"""SIGTERM and SIGHUP end a run the way Ctrl-C does: by an exception, so ``finally`` blocks clean up.

By default SIGTERM kills the process at once, leaving an image's temporary folder
behind and worker processes orphaned (a CI runner cancelling a job sends SIGTERM).
Raised as an exception instead, the code that made the folder or started the
workers removes them on its way out.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from types import FrameType


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by a signal; ``signum`` says which (exit status 128 + signum)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def signals_raise(signals: Iterable[int] = (signal.SIGTERM, signal.SIGHUP)) -> Iterator[None]:
    """Within the block, ``signals`` raise Terminated in the main thread; the old handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    try:
        for signum in signals:
            previous[signum] = signal.signal(signum, _raise)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)  # None: set outside Python


def end_process_trees(pids: Iterable[int]) -> None:
    """Kill these processes and everything they started (workers of a pool, a tool's children).

    Our own children are killed but not reaped here: their owner (a process pool) waits for
    them, and a child reaped behind its back looks alive to it forever.
    """
    import psutil

    victims: list[psutil.Process] = []
    for pid in pids:
        if pid == os.getpid():
            continue
        try:
            proc = psutil.Process(pid)
            victims.extend(proc.children(recursive=True))
            victims.append(proc)
        except psutil.Error:
            continue
    for proc in victims:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    others = []
    for proc in victims:
        with contextlib.suppress(psutil.Error):
            if proc.ppid() != os.getpid():
                others.append(proc)
    psutil.wait_procs(others, timeout=2.0)


def end_own_children() -> None:
    """Kill every process this one started, with what they started, and reap our own.

    For a run interrupted while a tool or a vendor library's child is wedged: those
    run in their own sessions (a Ctrl-C at the terminal does not reach them), so only
    their parent can end them. A tool's process group goes too, which holds what it
    started even after the tool itself has exited.
    """
    import psutil

    for _ in range(3):  # again, for a child a thread was starting at that moment
        try:
            children = psutil.Process().children()
        except psutil.Error:
            return
        if not children:
            return
        for child in children:
            with contextlib.suppress(OSError):
                if os.getpgid(child.pid) == child.pid:  # a group of its own (start_new_session)
                    os.killpg(child.pid, signal.SIGKILL)
        end_process_trees(child.pid for child in children)
        psutil.wait_procs(children, timeout=2.0)  # ours: reaped, so nothing is left behind, not even a zombie
        time.sleep(0.05)


@contextlib.contextmanager
def children_end_on_interrupt() -> Iterator[None]:
    """Within the block, Ctrl-C or a signal raised by ``signals_raise`` ends every child process on its way out."""
    try:
        yield
    except KeyboardInterrupt:
        end_own_children()
        raise
