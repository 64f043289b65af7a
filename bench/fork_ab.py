"""Probes in one process against probes forked (probes.forked), on the same files, runs interleaved.

    python3 bench/fork_ab.py                                   # the H100 node's capture, 15 pairs
    python3 bench/fork_ab.py --fixture tests/fixtures/hosts/X --runs 21
    python3 bench/fork_ab.py --live                            # this machine's own files

Each run is a fresh process that probes (collect) and exits, so every cache
starts cold as in a real doctor run. "forked" pretends the machine has 16 CPUs,
so the heavy probes fork even where probes.forked.MIN_CPUS would keep them in
one process: on a small machine this shows what forking costs and gains there,
on a GPU node (16 CPUs) it is what doctor does anyway.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE = os.path.join(REPO, "tests", "fixtures", "hosts", "h100-node-capture")


def child(fixture: str, fork: bool) -> None:
    start = time.perf_counter()
    sys.path.insert(0, REPO)
    from accelctl.probes import forked
    from accelctl.probes.base import ProbeOptions
    from accelctl.probes.collect import collect

    if fork:
        forked.usable_cpus = lambda *a: 16  # type: ignore[assignment]
    if fixture == "live":
        from accelctl.host.live import LiveHost

        host = LiveHost()
        host.forks_probes = fork  # type: ignore[misc]
    else:
        from accelctl.host.fixture import FixtureHost

        host = FixtureHost(fixture)
        host.forks_probes = fork  # type: ignore[misc]
    collect(host, ProbeOptions())
    print(f"{1000 * (time.perf_counter() - start):.3f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixture", default=NODE)
    ap.add_argument("--live", action="store_true", help="probe this machine instead of a fixture")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--child", choices=("one", "forked"))
    args = ap.parse_args()
    fixture = "live" if args.live else args.fixture
    if args.child:
        child(fixture, args.child == "forked")
        return 0
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", "/tmp/accelctl-fork-ab-pycache")
    times = {"one": [], "forked": []}
    base = [sys.executable, os.path.abspath(__file__), "--fixture", args.fixture] + (["--live"] if args.live else [])
    for mode in times:  # warm-up: bytecode and page caches
        subprocess.run(base + ["--child", mode], capture_output=True, env=env, cwd="/")
    for _ in range(args.runs):
        for mode in times:
            out = subprocess.run(base + ["--child", mode], capture_output=True, text=True, env=env, cwd="/")
            times[mode].append(float(out.stdout.strip().splitlines()[-1]))
    print(f"{'live machine' if args.live else os.path.basename(args.fixture)}, {os.cpu_count()} CPUs, "
          f"{args.runs} interleaved pairs; ms from the script's start to the inventory")
    first = statistics.median(times["one"])
    for mode, values in times.items():
        median = statistics.median(values)
        print(f"  probes {mode:7s} median {median:7.1f}  min {min(values):7.1f}  ({100 * (median / first - 1):+.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
