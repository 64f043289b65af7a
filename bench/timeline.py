"""Where one `doctor --json` spends its time, as additive steps in one fresh process.

    python3 bench/timeline.py            # run it in a fresh interpreter (it re-executes itself)

Every step runs one after the other, as the probes of a real run do; the real
run also starts NVML in the background before the first probe (Host.warm_up),
which this leaves out, so NVML's start is charged to the nvidia probe here. The
steps add up to the process's work and show what to cut; each step pays for
the modules it imports first (as in a real run). bench/trace.py times the real run.
"""

from __future__ import annotations

import os
import sys
import time

T0 = time.perf_counter()
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    sys.path.insert(0, REPO)
    steps = []
    last = [time.perf_counter()]

    def mark(label: str) -> None:
        now = time.perf_counter()
        steps.append((label, (now - last[0]) * 1000.0))
        last[0] = now

    import accelctl.cli  # noqa: F401  (typer and the command modules, as `accelctl` loads them)
    mark("import accelctl.cli (typer)")
    from accelctl import doctor as logic
    mark("import accelctl.doctor")
    from accelctl.host.live import LiveHost
    from accelctl.probes import all_probes
    from accelctl.probes.base import ProbeContext, ProbeOptions
    from accelctl.probes.runner import run_probes

    probes = all_probes()
    for probe in probes:
        probe.prepare()  # each probe's modules (listing the probes imports none of them)
    mark("import every probe module")
    ctx = ProbeContext(LiveHost(), ProbeOptions(accelctl_prefix=logic.own_prefix()))
    for probe in probes:  # all_probes() lists them in dependency order
        run_probes([probe], ctx, processes=False)
        mark(f"probe {probe.name}")
    inventory = logic.gather(logic.Source()) if "--gather-twice" in sys.argv else None
    if inventory is not None:
        mark("gather again (threads, warm caches)")
    from accelctl.probes.collect import collect

    inventory = collect(ctx.host, ProbeOptions(accelctl_prefix=logic.own_prefix()), probes=probes)
    mark("collect again (warm caches: what the probes cost once imports and first uses are paid)")
    matrices = logic.matrix_set()
    report = logic.diagnose(inventory, logic.Diagnosis(), matrices)
    mark("rules + plan (loading the matrices they use)")
    from accelctl.report import renderer

    text = renderer("json")(report)
    mark("render --json")
    total = (time.perf_counter() - T0) * 1000.0
    width = max(len(s[0]) for s in steps)
    print(f"interpreter start to script: see `python -c pass`; inside the script {total:.1f} ms, {len(text)} bytes of JSON")
    for label, ms in steps:
        print(f"  {label:<{width}}  {ms:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
