"""How long reading one Python environment takes: the python probe, framework wheels included.

    python bench/bench_env_read.py                      # the H100 node's venv fixture (197 real dist-infos)
    python bench/bench_env_read.py --scale 600          # the same METADATA copied under new names to 600 dists
    python bench/bench_env_read.py --live /opt/torch/.venv/bin/python [--scan-fatbins]   # a real environment

Prints min / median wall milliseconds over --runs runs (after one warm-up run,
which also loads the matrices once per process, as a doctor run does).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accelctl.host.filesystem import FileSystemHost
from accelctl.probes import python_env
from accelctl.probes.base import ProbeContext, ProbeOptions

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "envs" / "h100-node"
PY = "/opt/torch/.venv/bin/python3"
SITE = "opt/torch/.venv/lib/python3.12/site-packages"


def scaled_copy(n: int) -> Path:
    """The fixture with its dist-infos copied under new names until there are ``n``."""
    tmp = Path(tempfile.mkdtemp(prefix="accelctl-bench-"))
    root = tmp / "root"
    shutil.copytree(FIXTURE, root, symlinks=True)
    site = root / SITE
    originals = sorted(p for p in site.iterdir() if p.name.endswith(".dist-info"))
    i = 0
    while len(list(site.glob("*.dist-info"))) < n:
        src = originals[i % len(originals)]
        copy = site / f"benchcopy{i}_{src.name}"
        copy.mkdir()
        text = (src / "METADATA").read_text().replace("\nName: ", f"\nName: benchcopy{i}-", 1)
        (copy / "METADATA").write_text(text)
        i += 1
    return root


def once(host, python: str, scan: bool):
    ctx = ProbeContext(host, ProbeOptions(python=python, scan_fatbins=scan), "python")
    t0 = time.perf_counter()
    envs = python_env.probe(ctx)
    return (time.perf_counter() - t0) * 1000, envs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--scale", type=int, default=0)
    ap.add_argument("--live", metavar="PYTHON", help="read this interpreter's environment on this machine")
    ap.add_argument("--scan-fatbins", action="store_true")
    args = ap.parse_args()
    cleanup = None
    if args.live:
        host, python, label = FileSystemHost("/"), args.live, f"live {args.live}"
    else:
        root = scaled_copy(args.scale) if args.scale else FIXTURE
        cleanup = root.parent if args.scale else None
        host, python, label = FileSystemHost(str(root)), PY, f"fixture {root}"
    once(host, python, args.scan_fatbins)  # warm-up: imports, matrices, page cache
    py_ms = []
    for _ in range(args.runs):
        ms, envs = once(host, python, args.scan_fatbins)
        py_ms.append(ms)
    env = envs[0] if envs else None
    n = len(env.distributions) if env else 0
    print(f"{label}: {n} distributions, {len(env.frameworks) if env else 0} frameworks, runs={args.runs}")
    print(f"  python probe (with the framework readers) min {min(py_ms):7.1f} ms  median {statistics.median(py_ms):7.1f} ms")
    if env:
        for fw in env.frameworks:
            if fw.archs_source:
                print(f"  {fw.name} {fw.version}: {fw.archs_source}: {' '.join(fw.compiled_archs + fw.compiled_ptx)}")
    if cleanup:
        shutil.rmtree(cleanup, ignore_errors=True)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
