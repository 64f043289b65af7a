"""Compare accelctl source trees (two or more) on the same machine, runs interleaved.

    git worktree add /tmp/base <commit>             # or: git archive <commit> accelctl matrices | tar -x -C /tmp/base
    python3 bench/ab.py /tmp/base .                 # doctor --json and doctor --from, 15 pairs each
    python3 bench/ab.py /tmp/base . --runs 21 --snapshot node.json

Fresh machines of one kind differ by up to 40% in speed, so a figure from one
machine says nothing about a change measured on another. Here both trees run
on the same machine, alternately (A, B, A, B ...), each from its own folder
(``python -m`` puts the working folder first on ``sys.path``, so a run from the
repository root would load the repository's code whatever PYTHONPATH says) and
with its own bytecode cache, filled by a warm-up, as an installed package has.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path


def run_once(argv: Sequence[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    os.wait4(proc.pid, 0)
    return time.perf_counter() - start


def tree_env(tree: str, cache_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = tree
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(cache_root, str(abs(hash(tree))))
    return env


def compare(trees: list[str], commands: list[list[str]], runs: int, python: str, snapshot: str = "") -> list[str]:
    cache_root = tempfile.mkdtemp(prefix="accelctl-ab-pycache-")
    envs = {t: tree_env(t, cache_root) for t in trees}
    lines = []
    for args in commands:
        argv = [python, "-m", "accelctl", *args]
        for t in trees:  # warm-up: bytecode caches, page cache
            run_once(argv, envs[t], t)
            run_once(argv, envs[t], t)
        times: dict[str, list[float]] = {t: [] for t in trees}
        for _ in range(runs):
            for t in trees:
                times[t].append(run_once(argv, envs[t], t))
        base = statistics.median(times[trees[0]])
        for t in trees:
            med = statistics.median(times[t])
            label = " ".join("SNAPSHOT" if a == snapshot else a for a in args)
            lines.append(f"{label:<32} {t:<40} median {1000 * med:7.1f} ms  min {1000 * min(times[t]):7.1f} ms"
                         f"  ({100 * (med / base - 1):+.0f}% against the first)")
    return lines


def main(argv: Sequence[str] = ()) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trees", nargs="+", help="two or more source trees (each holding accelctl/ and matrices/); "
                                         "the first is the baseline")
    ap.add_argument("--runs", type=int, default=15, help="interleaved pairs per command")
    ap.add_argument("--snapshot", help="a snapshot for the doctor --from case (default: made by the first tree)")
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args(list(argv) or None)
    trees = [str(Path(t).resolve()) for t in args.trees]
    if len(trees) < 2:
        ap.error("give at least two source trees to compare")
    for t in trees:
        if not (Path(t) / "accelctl" / "__main__.py").is_file():
            ap.error(f"{t}: no accelctl/ source tree there")
    snapshot = args.snapshot
    if snapshot is None:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
            snapshot = fh.name
        subprocess.run([args.python, "-m", "accelctl", "doctor", "--snapshot", snapshot, "--json"],
                       stdout=subprocess.DEVNULL, env=tree_env(trees[0], tempfile.gettempdir()), cwd=trees[0], check=False)
    commands = [["doctor", "--json"], ["doctor", "--from", snapshot, "--json"]]
    for line in compare(trees, commands, args.runs, args.python, snapshot):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
