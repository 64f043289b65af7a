"""When each phase and each probe of a real `doctor --json` run starts and ends (ms after the script starts).

    python3 bench/trace.py            # median of 9 fresh processes
    python3 bench/trace.py --runs 15
    python3 bench/trace.py --fork     # fork the heavy probes even below probes.forked.MIN_CPUS

Unlike bench/timeline.py (every step alone, one after another), this is the
doctor users run, probes and NVML's start included; only clocks are added around
it. A probe that runs in a forked process of its own (probes.forked) is timed
by that process: its own steps are marked too, tagged with its name (forked,
preparing, inputs received, running, result sent). The interpreter's own start (see `python -c pass` in
bench/bench.py) comes before the first number.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def traced_run() -> dict:
    """One doctor --json in this process, with marks; returns {event: ms}."""
    t0 = time.perf_counter()
    marks: dict = {}

    def mark(event: str) -> None:
        marks[event] = round(1000 * (time.perf_counter() - t0), 2)

    sys.path.insert(0, REPO)
    import accelctl.doctor as logic
    from accelctl.host import device_libs
    from accelctl.probes import runner

    mark("imports (doctor, runner, NVML's host) done")
    one = runner._run_one

    def run_one(probe, ctx, slot):  # type: ignore[no-untyped-def]
        mark(f"probe {probe.name} start")
        try:
            return one(probe, ctx, slot)
        finally:
            mark(f"probe {probe.name} end")

    runner._run_one = run_one
    from accelctl.probes import forked
    from accelctl.probes.base import Probe

    run_level = forked.Forks.run_level

    def traced_level(self, level, later, steps=None):  # type: ignore[no-untyped-def]
        early = [p.name for p in level if p.name in self.early]
        names = ", ".join(p.name for p in level if p.own_process)
        mark(f"level with {names}: start" + (f" ({', '.join(early)} forked early)" if early else ""))
        for i, step in enumerate(steps or ()):  # mark each of the caller's steps this process takes meanwhile
            if not getattr(step, "traced", False):
                steps[i] = timed(step, f"idle: {step.__name__}")
                steps[i].traced = True
        try:
            runs = run_level(self, level, later, steps)
        finally:
            mark(f"level with {names}: end")
        for r in runs:
            if r.name in names.split(", "):
                marks[f"own process: {r.name}"] = round(r.duration_ms, 2)  # a duration, printed apart
        return runs

    forked.Forks.run_level = traced_level
    prepare = Probe.prepare

    def traced_prepare(self, matrices=None):  # type: ignore[no-untyped-def]
        mark(f"idle: prepare probe {self.name} start")
        try:
            return prepare(self, matrices)
        finally:
            mark(f"idle: prepare probe {self.name} end")

    Probe.prepare = traced_prepare
    # A forked probe marks its own steps (the clock is the system's monotonic one, shared by all processes);
    # before it exits it leaves them in a file this process reads at the end, tagged with the probe's name.
    child_main, spool = forked._child_main, tempfile.mkdtemp(prefix="accelctl-trace-")

    def traced_child_main(probe, ctx, run_one, fd, feeds=(), inputs=(), matrices_fd=None,  # type: ignore[no-untyped-def]
                          doctor=None):
        before = set(marks)
        await_inputs, receive = forked._await_inputs, forked._receive_matrices

        def traced_await(probe, ctx, inputs, matrices_fd=None, doctor=None):  # type: ignore[no-untyped-def]
            sent = await_inputs(probe, ctx, inputs, matrices_fd, doctor)
            mark("inputs received")
            return sent

        def traced_receive(ctx, chunks):  # type: ignore[no-untyped-def]
            sent = receive(ctx, chunks)
            mark(f"matrices received from the doctor: {', '.join(sorted(sent)) or 'none'}")
            return sent

        forked._await_inputs, forked._receive_matrices = traced_await, traced_receive
        mark("forked")
        try:
            child_main(probe, ctx, run_one, fd, feeds, inputs, matrices_fd, doctor)
        finally:
            mark("result sent")
            with open(os.path.join(spool, probe.name), "w") as out:
                json.dump({k: v for k, v in marks.items() if k not in before or k == "forked"}, out)

    forked._child_main = traced_child_main
    from accelctl.probes.base import LazyRun

    load = LazyRun.load

    def traced_load(self):  # type: ignore[no-untyped-def]
        if self.loaded:
            return load(self)
        name = self.module.replace("accelctl.probes.", "")
        mark(f"import {name} start")
        try:
            return load(self)
        finally:
            mark(f"import {name} end")

    LazyRun.load = traced_load  # type: ignore[method-assign]
    feed = forked.Forks._feed_matrices

    def traced_feed(self, name):  # type: ignore[no-untyped-def]
        mark(f"feed: matrices for {name}'s process start")
        try:
            return feed(self, name)
        finally:
            mark(f"feed: matrices for {name}'s process end")

    forked.Forks._feed_matrices = traced_feed  # type: ignore[method-assign]
    if "--fork" in sys.argv:
        forked.usable_cpus = lambda: 16  # type: ignore[assignment]
    gather, diagnose = logic.gather, logic.diagnose

    def timed(fn, name):  # type: ignore[no-untyped-def]
        def inner(*args, **kwargs):  # type: ignore[no-untyped-def]
            mark(f"{name} start")
            try:
                result = fn(*args, **kwargs)
            finally:
                mark(f"{name} end")
            return in_parts(result, name) if isinstance(result, Iterator) else result
        return inner

    def in_parts(parts, name):  # type: ignore[no-untyped-def]
        """A step taken in parts (the rehearsal, a rule at a time): its first part and its last are marked."""
        count = 0
        try:
            while True:
                if count == 0:
                    mark(f"{name}: first part start")
                next(parts)
                count += 1
                mark(f"{name}: part {count} end")
                marks[f"{name}: last part end"] = marks.pop(f"{name}: part {count} end")
                yield
        except StopIteration:
            mark(f"{name}: all parts done")

    logic.gather, logic.diagnose = timed(gather, "gather"), timed(diagnose, "diagnose")
    start = device_libs.LiveNvml.start
    device_libs.LiveNvml.start = timed(start, "NVML background start (returns at once)")  # type: ignore[method-assign]
    from accelctl.host import nvml_process

    fork_nvml = nvml_process.NvmlProcess.start
    nvml_process.NvmlProcess.start = timed(fork_nvml, "NVML process start (returns at once)")  # type: ignore[method-assign]
    from accelctl.host.live import LiveHost

    LiveHost.release = timed(LiveHost.release, "release (NVML's process ended)")  # type: ignore[method-assign]
    from accelctl.cli.doctor_run import run
    from accelctl.cli.fastpath import parse_doctor

    out, sys.stdout = sys.stdout, open(os.devnull, "w")
    try:
        run(parse_doctor(["--json"]))  # type: ignore[arg-type]
    finally:
        sys.stdout.close()
        sys.stdout = out
    mark("report written")
    for name in sorted(os.listdir(spool)):  # the forked probes' own marks
        with open(os.path.join(spool, name)) as f:
            for event, at in json.load(f).items():
                marks[f"[{name}'s process] {event.replace('idle: ', '')}"] = at
    shutil.rmtree(spool, ignore_errors=True)
    return marks


def main() -> int:
    if "--child" in sys.argv:
        print(json.dumps(traced_run()))
        return 0
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 9
    env = dict(os.environ)
    cmd = [sys.executable, os.path.abspath(__file__), "--child", *(["--fork"] if "--fork" in sys.argv else [])]
    subprocess.run(cmd, capture_output=True, env=env, cwd=REPO)  # warm-up: bytecode and page caches
    rows = [json.loads(subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO).stdout) for _ in range(runs)]
    events = sorted((e for e in rows[0] if not e.startswith("own process: ")),
                    key=lambda e: statistics.median(r.get(e, 0.0) for r in rows))
    print(f"median of {runs} runs, ms after the script starts:")
    for event in events:
        print(f"  {statistics.median(r.get(event, 0.0) for r in rows):8.1f}  {event}")
    for event in (e for e in rows[0] if e.startswith("own process: ")):
        print(f"  probe {event[len('own process: '):]} ran {statistics.median(r.get(event, 0.0) for r in rows):.1f} ms"
              " in its own process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
