"""Runs the probes: dependencies first; the heavy ones in forked processes where allowed, else one at a time.

Probes are Python work on file contents, and Python runs one thread at a time:
threads side by side only queue for the interpreter lock (on the H100 node the
five probes after the python probe took 68 ms in threads, 41 ms one after
another). Where the host allows it and the machine has the cores, a level's
probes run at once in forked processes (``probes.forked``), and a later heavy
probe that needs only their sections forks with them and prepares meanwhile;
otherwise each probe runs alone, in a thread only so that a wedged one can be
left behind at its timeout. What really waits (NVML's start inside the driver)
starts before the first probe: see ``Host.warm_up``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from accelctl.inventory.common import ProbeRun, Unknown
from accelctl.probes.base import Probe, ProbeContext

# While probes run, a thread coming back from NVML or the disk waits at most this long for the interpreter
# lock (Python's default is 5 ms), so the background NVML start moves from one driver call to the next promptly.
SWITCH_INTERVAL_S = 0.0005


def _levels(probes: Sequence[Probe]) -> list[list[Probe]]:
    """Group probes so each level only needs sections filled by earlier levels."""
    sections = {p.section for p in probes}
    done: set = set()
    remaining = list(probes)
    levels: list[list[Probe]] = []
    while remaining:
        ready = [p for p in remaining if all(r in done or r not in sections for r in p.requires)]
        if not ready:  # a cycle: run the rest anyway, their missing inputs become unknowns
            ready = remaining
        levels.append(ready)
        done.update(p.section for p in ready)
        remaining = [p for p in remaining if p not in ready]
    return levels


def run_probes(probes: Sequence[Probe], ctx: ProbeContext, processes: bool | None = None,
               meanwhile: Sequence[Callable[[], object]] = ()) -> tuple[dict[str, Any], list[ProbeRun]]:
    """Run every probe; return the sections they filled and how each went.

    ``processes``: None lets the host decide (``Host.forks_probes``); True or
    False forces it (tests). Either way the sections, unknowns and runs come
    out in the same order, and forking is only used where it is safe now.
    ``meanwhile``: steps of work the caller needs next (imports). While forked
    probes run, this process would only wait: it imports the later probes'
    modules, then takes these steps, each only while a child is still working;
    what is left waits for the next forked level. Nothing is called when nothing
    forks (the caller's own code then imports what it needs when it needs it).
    """
    if processes is None:
        processes = bool(getattr(ctx.host, "forks_probes", False))
    previous = sys.getswitchinterval()
    if SWITCH_INTERVAL_S:
        sys.setswitchinterval(min(previous, SWITCH_INTERVAL_S))
    runs: list[ProbeRun] = []
    forker = _forked() if processes else None
    forks = forker.Forks(ctx, _run_one, _run_with_timeout, forker.usable_cpus()) if forker else None
    levels = _levels(probes)
    steps = deque(meanwhile)
    try:
        for i, level in enumerate(levels):
            if forks is not None and forks.has_work(level):
                runs.extend(forks.run_level(level, levels[i + 1:], steps))
            else:
                runs.extend(_run_with_timeout(probe, ctx) for probe in level)
    finally:
        sys.setswitchinterval(previous)
        if forks is not None:
            forks.close()
    return ctx.results, runs


def _forked() -> Any:
    from accelctl.probes import forked  # pickle, select, signal: only where probes fork

    return forked


def _run_with_timeout(probe: Probe, ctx: ProbeContext) -> ProbeRun:
    slot: dict[str, Any] = {}
    t = threading.Thread(target=_run_one, args=(probe, ctx, slot), name=f"probe-{probe.name}", daemon=True)
    t.start()
    t.join(probe.timeout)
    if t.is_alive():
        ctx.unknowns.append(Unknown(probe.name, "*", f"the probe did not finish within {probe.timeout:g} s"))
        return ProbeRun(probe.name, "timeout", probe.timeout * 1000.0, "timed out")
    if "value" in slot:
        ctx.results[probe.section] = slot["value"]
    return slot["run"]


def _run_one(probe: Probe, ctx: ProbeContext, slot: dict[str, Any]) -> None:
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
