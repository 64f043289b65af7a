"""The probe runner: dependency order, the timeout guard, and a failing probe's boundary."""

from __future__ import annotations

import graphlib
import threading
from pathlib import Path

import pytest

from accelctl import doctor
from accelctl.host.fixture import FixtureHost
from accelctl.probes import all_probes
from accelctl.probes.base import Probe, ProbeContext, ProbeOptions
from accelctl.probes.runner import run_order, run_probes

NODE = Path(__file__).resolve().parents[1] / "fixtures" / "hosts" / "h100-node-capture"


def _ctx() -> ProbeContext:
    return ProbeContext(FixtureHost(str(NODE)), ProbeOptions())


def test_a_probe_runs_after_the_writers_of_what_it_requires():
    seen: list[str] = []

    def record(name, value):
        def run(ctx):
            seen.append(name)
            return value(ctx) if callable(value) else value
        return run

    probes = [
        Probe(name="late", section="late", run=record("late", lambda ctx: ctx.results["early"] + 1),
              requires=("early",)),
        Probe(name="early", section="early", run=record("early", 41)),
        Probe(name="free", section="free", run=record("free", 0), requires=("nobody_writes_this",)),
    ]
    results, runs = run_probes(probes, _ctx())
    assert seen == ["early", "free", "late"]
    assert results["late"] == 42
    assert [r.status for r in runs] == ["ok", "ok", "ok"]


def test_the_real_probes_each_write_their_own_section_and_run_in_order():
    probes = all_probes()
    sections = [p.section for p in probes]
    assert len(sections) == len(set(sections)), "one writer per inventory section"
    order = [p.name for p in run_order(probes)]
    assert order.index("python") < order.index("nvidia")


def test_a_cycle_is_a_programming_error():
    probes = [Probe(name="a", section="a", run=lambda ctx: 1, requires=("b",)),
              Probe(name="b", section="b", run=lambda ctx: 1, requires=("a",))]
    with pytest.raises(graphlib.CycleError):
        run_order(probes)


def test_a_wedged_probe_is_left_behind_at_its_timeout_and_the_others_still_run():
    release = threading.Event()
    probes = [Probe(name="wedged", section="wedged", run=lambda ctx: release.wait(30), timeout=0.2),
              Probe(name="after", section="after", run=lambda ctx: "fine")]
    ctx = _ctx()
    try:
        results, runs = run_probes(probes, ctx)
    finally:
        release.set()
    assert [(r.name, r.status) for r in runs] == [("wedged", "timeout"), ("after", "ok")]
    assert results == {"after": "fine"}
    assert [(u.probe, u.fact) for u in ctx.unknowns] == [("wedged", "*")]
    assert "0.2 s" in ctx.unknowns[0].reason


def test_a_probe_that_raises_costs_only_its_own_section():
    def broken(ctx):
        raise ValueError("bad parse")

    probes = [Probe(name="broken", section="broken", run=broken), Probe(name="fine", section="fine", run=lambda c: 1)]
    ctx = _ctx()
    results, runs = run_probes(probes, ctx)
    assert results == {"fine": 1}
    assert runs[0].status == "failed" and "ValueError: bad parse" in (runs[0].error or "")
    assert ctx.unknowns[0].reason == "probe failed: ValueError: bad parse"


def test_the_fixture_inventory_records_a_run_for_every_probe():
    inventory = doctor.gather(doctor.Source(fixture=str(NODE)))
    assert [r.name for r in inventory.probes] == [p.name for p in run_order(all_probes())]
    assert {r.status for r in inventory.probes} <= {"ok", "partial"}
