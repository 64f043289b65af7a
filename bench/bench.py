"""Benchmark accelctl doctor against what users run today, on the machine this runs on.

Whole-process runs, median of several after a warm-up, wall time and peak RSS
(each child's own rusage, via wait4):

    python3 bench/bench.py                       # the table
    python3 bench/bench.py --per-probe           # cost of each probe inside one doctor run
    python3 bench/bench.py --scale 10000         # `accelctl fleet` over 10,000 snapshots: one process, then --jobs
    python3 bench/bench.py --torch-python /opt/torch/.venv/bin/python   # include collect_env
    python3 bench/bench.py --markdown            # the table as Markdown, for bench/RESULTS.md

It runs the same doctor as users (no probe is skipped). Children start from cached
bytecode, as an installed accelctl does (``--no-bytecode-cache`` to see the cost
of compiling the sources at every start).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_once(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=str(REPO))
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
    return wall, usage.ru_maxrss / 1024.0, proc.returncode


def measure(argv: Sequence[str], runs: int, env: dict[str, str]) -> dict[str, float]:
    run_once(argv, env)  # warm-up: page cache, .pyc files
    walls, rss, codes = [], [], []
    for _ in range(runs):
        w, r, c = run_once(argv, env)
        walls.append(w)
        rss.append(r)
        codes.append(c)
    return {"wall_s": statistics.median(walls), "min_s": min(walls), "rss_mib": statistics.median(rss), "exit": max(codes)}


def bytecode_cache(env: dict[str, str]) -> str:
    """Let every child read and write bytecode under one private folder, as an installed package would.

    ``pip install`` byte-compiles what it installs, even with PYTHONDONTWRITEBYTECODE set,
    so users start from cached bytecode. Run from a source tree under that
    variable (as on the GPU node) nothing is cached and each start compiles ~150
    modules again: that measures the compiler, not accelctl. The warm-up run
    writes the cache (for collect_env too); the timed runs read it. Nothing is
    written next to the sources or into site-packages.
    """
    prefix = tempfile.mkdtemp(prefix="accelctl-bench-pycache-")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = prefix
    return f"cached in {prefix} by the warm-up run"


def accelctl_cmd(python: str) -> list[str]:
    return [python, "-m", "accelctl"]


def per_probe(python: str, env: dict[str, str]) -> list[tuple[str, str, float]]:
    run_once(accelctl_cmd(python) + ["doctor", "--json"], env)  # warm-up: bytecode cache, page cache
    out = subprocess.run(accelctl_cmd(python) + ["doctor", "--json"], capture_output=True, text=True, env=env, cwd=str(REPO),
                         check=False)
    data = json.loads(out.stdout)
    return [(p["name"], p["status"], p["duration_ms"]) for p in data["inventory"]["probes"]]


def per_probe_alone(runs: int = 5) -> list[tuple[str, float]]:
    """Each probe run alone (after the ones it needs), in this process: its own cost without contention."""
    sys.path.insert(0, str(REPO))
    from accelctl.host.live import LiveHost
    from accelctl.probes import all_probes
    from accelctl.probes.base import ProbeContext, ProbeOptions
    from accelctl.probes.runner import run_probes

    probes = all_probes()
    by_section = {p.section: p for p in probes}
    out = []
    for probe in probes:
        needed = [by_section[r] for r in probe.requires if r in by_section]
        times = []
        for _ in range(runs + 1):
            ctx = ProbeContext(LiveHost(), ProbeOptions())
            run_probes(needed, ctx)
            start = time.perf_counter()
            run_probes([probe], ctx)
            times.append(time.perf_counter() - start)
        out.append((probe.name, statistics.median(times[1:]) * 1000.0))
    return out


def scale(n: int, snapshot: str, jobs: int) -> dict[str, float]:
    """``accelctl fleet`` over n snapshot files: one process, then ``jobs`` worker processes."""
    sys.path.insert(0, str(REPO))
    from accelctl.doctor import Diagnosis
    from accelctl.fleet_check import check_fleet, snapshot_paths

    folder = Path(tempfile.mkdtemp(prefix="accelctl-scale-"))
    try:
        text = Path(snapshot).read_text()
        for i in range(n):
            (folder / f"node{i:05d}.json").write_text(text)
        paths = snapshot_paths([str(folder)])
        out: dict[str, float] = {"snapshots": n, "snapshot_kib": round(len(text) / 1024, 1)}
        for label, workers in (("one_process", 1), (f"jobs_{jobs}", jobs)):
            start = time.perf_counter()
            report = check_fleet(paths, Diagnosis(), jobs=workers)
            total = time.perf_counter() - start
            assert len(report.nodes) == n and not report.counts()["unreadable"]
            out[f"{label}_total_s"] = round(total, 3)
            out[f"{label}_per_snapshot_ms"] = round(total / n * 1000.0, 3)
            if workers == 1 and jobs == 1:
                break
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--python", default=sys.executable, help="interpreter that runs accelctl")
    ap.add_argument("--torch-python", help="interpreter with torch installed, for collect_env")
    ap.add_argument("--per-probe", action="store_true")
    ap.add_argument("--alone", action="store_true", help="with --per-probe: each probe alone, without contention")
    ap.add_argument("--scale", type=int, metavar="N")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="with --scale: worker processes")
    ap.add_argument("--no-bytecode-cache", action="store_true",
                    help="run every child without cached bytecode (each start compiles the sources again)")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args(argv)

    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    bytecode = "compiled on every start" if args.no_bytecode_cache else bytecode_cache(env)
    machine = f"{platform.node() or 'unknown'} ({platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()})"

    if args.per_probe and args.alone:
        print(f"Each probe alone (median of 5, in one process) on {machine}:")
        for name, ms in per_probe_alone():
            print(f"  {name:<20} {ms:8.2f} ms")
        return 0
    if args.per_probe:
        rows = per_probe(args.python, env)
        print(f"Per-probe cost inside one `doctor --json` on {machine}:")
        for name, status, ms in sorted(rows, key=lambda r: -r[2]):
            print(f"  {name:<14} {status:<8} {ms:8.2f} ms")
        return 0

    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        snap = fh.name
    subprocess.run(accelctl_cmd(args.python) + ["doctor", "--snapshot", snap, "--format", "json"],
                   stdout=subprocess.DEVNULL, env=env, cwd=str(REPO), check=False)
    if args.scale:
        print(json.dumps(scale(args.scale, snap, args.jobs), indent=2))
        os.unlink(snap)
        return 0

    cases: list[tuple[str, list[str]]] = [
        ("python -c pass (floor)", [args.python, "-c", "pass"]),
        ("accelctl doctor --json", accelctl_cmd(args.python) + ["doctor", "--json"]),
        ("accelctl doctor (rich)", accelctl_cmd(args.python) + ["doctor", "--no-color"]),
        ("accelctl doctor --from SNAPSHOT", accelctl_cmd(args.python) + ["doctor", "--from", snap, "--json"]),
    ]
    if args.torch_python:
        cases.append(("python -m torch.utils.collect_env", [args.torch_python, "-m", "torch.utils.collect_env"]))
    results = {name: measure(cmd, args.runs if "collect_env" not in name else max(3, args.runs // 2), env) for name, cmd in cases}
    os.unlink(snap)

    floor = results["python -c pass (floor)"]["wall_s"]
    ref = results.get("python -m torch.utils.collect_env", {}).get("wall_s")
    header = ["command", "median wall (s)", "peak RSS (MiB)", "x floor", "collect_env / this", "exit"]
    rows = []
    for name, r in results.items():
        rows.append([name, f"{r['wall_s']:.3f}", f"{r['rss_mib']:.0f}", f"{r['wall_s'] / floor:.1f}",
                     f"{ref / r['wall_s']:.1f}" if ref else "n/a", str(int(r["exit"]))])
    print(f"Machine: {machine}; {time.strftime('%Y-%m-%d')}; runs={args.runs}; bytecode: {bytecode}")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
        for row in rows:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
