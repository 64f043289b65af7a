"""Runs the probes in this process, one after another, each after the probes whose sections it reads.

Probes are Python work on file contents and short commands; running them side
by side buys little under the interpreter lock, and one at a time keeps the
order of unknowns and the report the same on every run. Each probe runs in a
thread only so that a wedged one can be left behind at its timeout (what it
might still write lands in a context nobody reads any more).

The run has one deadline (the host's, ``ACCELCTL_DEADLINE``): the host stops
commands and vendor-library calls when it passes, so a probe still ends with the
facts it has and unknowns for the rest; one that is still busy a moment later
(``DEADLINE_GRACE_S``) is left behind as if it had timed out.
"""

from __future__ import annotations

import graphlib
import threading
import time
from collections.abc import Sequence
from typing import Any

from accelctl.host.deadline import DEFAULT_DEADLINE_S, Deadline
from accelctl.inventory.common import ProbeRun
from accelctl.probes.base import Probe, ProbeContext

# After the run's deadline, how long a probe whose commands were stopped may take to record what it has.
DEADLINE_GRACE_S = 1.0


def run_order(probes: Sequence[Probe]) -> list[Probe]:
    """``probes`` ordered so that each runs after the writers of the sections it requires (listed order otherwise).

    A requirement no probe writes is simply absent when the probe runs; a cycle is a programming error and
    raises ``graphlib.CycleError``.
    """
    writers = {p.section: i for i, p in enumerate(probes)}  # one writer per section
    graph = graphlib.TopologicalSorter({i: [writers[r] for r in p.requires if r in writers and writers[r] != i]
                                        for i, p in enumerate(probes)})
    graph.prepare()
    order: list[Probe] = []
    while graph.is_active():
        ready = sorted(graph.get_ready())  # probe indexes: listed order among those ready together
        order.extend(probes[i] for i in ready)
        graph.done(*ready)
    return order


def run_probes(probes: Sequence[Probe], ctx: ProbeContext) -> tuple[dict[str, Any], list[ProbeRun]]:
    """Run every probe within the host's deadline; return the sections they filled and how each went."""
    deadline = getattr(ctx.host, "deadline", None) or Deadline.after(DEFAULT_DEADLINE_S)  # a host of a test without one
    try:
        runs = [run_with_timeout(probe, ctx, deadline) for probe in run_order(probes)]
    except BaseException:  # Ctrl-C or SIGTERM: a probe thread left running must start no new command
        deadline.expire()
        raise
    if any(run.status == "timeout" for run in runs):
        deadline.expire()  # the same for a probe left behind: nothing it starts now would be read
    return ctx.results, runs


def run_with_timeout(probe: Probe, ctx: ProbeContext, deadline: Deadline | None = None) -> ProbeRun:
    """Run one probe in a thread that is left behind if it outlives ``probe.timeout`` or the run's ``deadline``
    (and a moment's grace); how it went."""
    view = ctx.for_probe(probe.name)
    wait = probe.timeout if deadline is None else min(probe.timeout, deadline.left() + DEADLINE_GRACE_S)
    slot: dict[str, Any] = {}
    before, start = len(ctx.unknowns), time.perf_counter()

    def run() -> None:
        try:
            slot["value"] = probe.run(view)
        except Exception as exc:  # noqa: BLE001 - the boundary: a probe bug becomes an unknown, not a traceback
            slot["error"] = f"{type(exc).__name__}: {exc}"

    thread = threading.Thread(target=run, name=f"probe-{probe.name}", daemon=True)
    thread.start()
    thread.join(wait)
    ms = round((time.perf_counter() - start) * 1000.0, 3)
    if thread.is_alive():
        if wait < probe.timeout and deadline is not None:
            view.unknown("*", f"the probe was still running at {deadline.describe()}")
            return ProbeRun(probe.name, "timeout", ms, "stopped at the run's deadline")
        view.unknown("*", f"the probe did not finish within {probe.timeout:g} s")
        return ProbeRun(probe.name, "timeout", probe.timeout * 1000.0, "timed out")
    if "error" in slot:
        view.unknown("*", f"probe failed: {slot['error']}")
        return ProbeRun(probe.name, "failed", ms, slot["error"])
    ctx.results[probe.section] = slot["value"]
    partial = any(u.probe == probe.name for u in ctx.unknowns[before:])
    return ProbeRun(probe.name, "partial" if partial else "ok", ms)
