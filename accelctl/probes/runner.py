"""Runs the probes in this process, one after another, each after the probes whose sections it reads.

Probes are Python work on file contents and short commands; running them side
by side buys little under the interpreter lock, and one at a time keeps the
order of unknowns and the report the same on every run. Each probe runs in a
thread only so that a wedged one can be left behind at its timeout (what it
might still write lands in a context nobody reads any more).
"""

from __future__ import annotations

import graphlib
import threading
import time
from collections.abc import Sequence
from typing import Any

from accelctl.inventory.common import ProbeRun
from accelctl.probes.base import Probe, ProbeContext


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
    """Run every probe; return the sections they filled and how each went."""
    runs = [run_with_timeout(probe, ctx) for probe in run_order(probes)]
    return ctx.results, runs


def run_with_timeout(probe: Probe, ctx: ProbeContext) -> ProbeRun:
    """Run one probe in a thread that is left behind if it outlives ``probe.timeout``; how it went."""
    view = ctx.for_probe(probe.name)
    slot: dict[str, Any] = {}
    before, start = len(ctx.unknowns), time.perf_counter()

    def run() -> None:
        try:
            slot["value"] = probe.run(view)
        except Exception as exc:  # noqa: BLE001 - the boundary: a probe bug becomes an unknown, not a traceback
            slot["error"] = f"{type(exc).__name__}: {exc}"

    thread = threading.Thread(target=run, name=f"probe-{probe.name}", daemon=True)
    thread.start()
    thread.join(probe.timeout)
    ms = round((time.perf_counter() - start) * 1000.0, 3)
    if thread.is_alive():
        view.unknown("*", f"the probe did not finish within {probe.timeout:g} s")
        return ProbeRun(probe.name, "timeout", probe.timeout * 1000.0, "timed out")
    if "error" in slot:
        view.unknown("*", f"probe failed: {slot['error']}")
        return ProbeRun(probe.name, "failed", ms, slot["error"])
    ctx.results[probe.section] = slot["value"]
    partial = any(u.probe == probe.name for u in ctx.unknowns[before:])
    return ProbeRun(probe.name, "partial" if partial else "ok", ms)
