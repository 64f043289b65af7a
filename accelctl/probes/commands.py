"""The commands of one probe call, started side by side and read back in the order the probe asks for them.

A machine with several wedged tools (a hung GPU makes nvidia-smi and every nvcc
wait) would otherwise cost the sum of their timeouts; started together they cost
about one. Waiting on a child process releases the interpreter lock, so a few
threads suffice. The pool lives and ends with the probe call; every command still
runs under its own timeout and the host's deadline, which say in the result what
stopped it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from accelctl.host.base import CommandResult, NotSupported

# Enough for the tools of one vendor (a driver tool, a compiler, a few toolkits); more wait their turn.
MAX_WORKERS = 8

T = TypeVar("T")


class Commands:
    """Starts commands (or small steps that run one) in a pool created on first use and shut down on ``close``."""

    def __init__(self, host: Any, timeout: float, workers: int = MAX_WORKERS) -> None:
        self.host = host
        self.timeout = timeout
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None

    def close(self) -> None:
        """Drop what has not started and wait for what has (each bounded by its timeout and the deadline)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def run(self, argv: Sequence[str]) -> CommandResult | None:
        """Run ``argv`` now under the probe's command timeout; None where this host runs no commands."""
        if not self.host.can_run_commands:
            return None
        try:
            result: CommandResult = self.host.run(list(argv), timeout=self.timeout)
        except NotSupported:
            return None
        return result

    def start(self, argv: Sequence[str]) -> Future[CommandResult | None]:
        """``run(argv)`` in the background."""
        return self.call(self.run, argv)

    def call(self, step: Callable[..., T], *args: Any) -> Future[T]:
        """``step(*args)`` in the background; a host that runs no commands gets it done here and now."""
        if not self.host.can_run_commands:
            done: Future[T] = Future()
            try:
                done.set_result(step(*args))
            except Exception as exc:  # noqa: BLE001 - handed to whoever reads the result, as the pool would
                done.set_exception(exc)
            return done
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="probe-command")
        return self._pool.submit(step, *args)
