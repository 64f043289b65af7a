"""The deadline of a whole probing run: commands and vendor-library calls shrink to the time that is left.

Each command and library call has its own timeout, but on a machine where several
tools are wedged (a hung GPU makes nvidia-smi, nvcc and the vendor libraries wait
together) those timeouts would add up one after another. A run's deadline bounds the
sum: whatever is still waiting when it passes is stopped and becomes an unknown with
the reason, and the report is printed with everything else.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from accelctl.errors import UsageError

DEFAULT_DEADLINE_S = 30.0
DEADLINE_VAR = "ACCELCTL_DEADLINE"


class Deadline:
    """A point in ``time.monotonic()`` time by which the probes must be done; ``seconds`` is the budget it was given.

    One per run, shared by the host and the runner; ``expire`` brings it forward to now when the run is
    interrupted, so a probe thread left behind starts no new command.
    """

    __slots__ = ("end", "seconds")

    def __init__(self, seconds: float, end: float) -> None:
        self.seconds = seconds
        self.end = end

    def __repr__(self) -> str:
        return f"Deadline({self.seconds:g} s, {self.left():.3f} s left)"

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """A deadline ``seconds`` from now."""
        return cls(seconds, time.monotonic() + seconds)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Deadline:
        """A deadline from now, ``ACCELCTL_DEADLINE`` seconds (30 by default); a value that is not a positive
        number of seconds is a usage error naming the variable."""
        return cls.after(deadline_seconds(environ))

    def left(self) -> float:
        """Seconds until the deadline (0 once it has passed)."""
        return max(0.0, self.end - time.monotonic())

    def expire(self) -> None:
        """The deadline is now: what asks for time from here on gets none."""
        self.end = min(self.end, time.monotonic())

    def cap(self, timeout: float) -> float:
        """``timeout``, or the time left when that is shorter."""
        return min(timeout, self.left())

    def describe(self) -> str:
        """The deadline in words, for unknowns: what it was and how to give a run more time."""
        return f"the run's {self.seconds:g} s deadline ({DEADLINE_VAR})"


def deadline_seconds(environ: Mapping[str, str]) -> float:
    """The seconds ``ACCELCTL_DEADLINE`` gives a run; the default when it is unset or empty."""
    raw = environ.get(DEADLINE_VAR, "").strip()
    if not raw:
        return DEFAULT_DEADLINE_S
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise UsageError(f"{DEADLINE_VAR}={raw[:40]!r}: expected a positive number of seconds", field=DEADLINE_VAR,
                         hint=f"set {DEADLINE_VAR} to the seconds a doctor run may spend probing "
                              f"(default {DEFAULT_DEADLINE_S:g}), or unset it")
    return seconds
