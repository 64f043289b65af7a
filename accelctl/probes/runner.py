"""Runs the probes: dependencies first, independent ones concurrently, each with a timeout."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Dict, List, Sequence, Tuple

from accelctl.inventory.common import ProbeRun, Unknown
from accelctl.probes.base import Probe, ProbeContext


def _levels(probes: Sequence[Probe]) -> List[List[Probe]]:
    """Group probes so each level only needs sections filled by earlier levels."""
    sections = {p.section for p in probes}
    done: set = set()
    remaining = list(probes)
    levels: List[List[Probe]] = []
    while remaining:
        ready = [p for p in remaining if all(r in done or r not in sections for r in p.requires)]
        if not ready:  # a cycle: run the rest anyway, their missing inputs become unknowns
            ready = remaining
        levels.append(ready)
        done.update(p.section for p in ready)
        remaining = [p for p in remaining if p not in ready]
    return levels


# While probes run, a thread coming back from NVML, a command or the disk waits at most this long for the
# interpreter lock (Python's default is 5 ms): the probe that waits the most is also the longest one.
SWITCH_INTERVAL_S = 0.0005


def run_probes(probes: Sequence[Probe], ctx: ProbeContext) -> Tuple[Dict[str, Any], List[ProbeRun]]:
    """Run every probe; return the sections they filled and how each went."""
    previous = sys.getswitchinterval()
    if SWITCH_INTERVAL_S:
        sys.setswitchinterval(min(previous, SWITCH_INTERVAL_S))
    try:
        return _run_levels(probes, ctx)
    finally:
        sys.setswitchinterval(previous)


def _run_levels(probes: Sequence[Probe], ctx: ProbeContext) -> Tuple[Dict[str, Any], List[ProbeRun]]:
    runs: List[ProbeRun] = []
    for level in _levels(probes):
        slots: Dict[str, Dict[str, Any]] = {}
        threads = []
        for probe in level:
            slot: Dict[str, Any] = {}
            slots[probe.name] = slot
            t = threading.Thread(target=_run_one, args=(probe, ctx, slot), name=f"probe-{probe.name}", daemon=True)
            t.start()
            threads.append((probe, t))
        for probe, t in threads:
            t.join(probe.timeout)
            slot = slots[probe.name]
            if t.is_alive():
                ctx.unknowns.append(Unknown(probe.name, "*", f"the probe did not finish within {probe.timeout:.0f} s"))
                runs.append(ProbeRun(probe.name, "timeout", probe.timeout * 1000.0, "timed out"))
                continue
            runs.append(slot["run"])
            if "value" in slot:
                ctx.results[probe.section] = slot["value"]
    return ctx.results, runs


def _run_one(probe: Probe, ctx: ProbeContext, slot: Dict[str, Any]) -> None:
    view = ctx.for_probe(probe.name)
    start = time.perf_counter()
    before = len(ctx.unknowns)
    if probe.needs_commands and not ctx.host.can_run_commands:
        view.unknown("*", f"{ctx.host.label} cannot run commands")
        slot["run"] = ProbeRun(probe.name, "skipped", 0.0, "no commands on this host")
        return
    try:
        slot["value"] = probe.run(view)
    except Exception as exc:  # the boundary: a probe bug becomes a finding, not a traceback
        view.unknown("*", f"probe failed: {type(exc).__name__}: {exc}")
        slot["run"] = ProbeRun(probe.name, "failed", (time.perf_counter() - start) * 1000.0, f"{type(exc).__name__}: {exc}")
        return
    mine = [u for u in ctx.unknowns[before:] if u.probe == probe.name]
    status = "partial" if mine else "ok"
    slot["run"] = ProbeRun(probe.name, status, round((time.perf_counter() - start) * 1000.0, 3))
