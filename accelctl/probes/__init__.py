"""Every probe, in one list: adding a probe means a module with a ``probe(ctx)`` function plus a line here.

Each probe's module is named, not imported: it is imported when the probe first
runs, or ahead of that while the runner waits on probes in forked processes.
"""

from __future__ import annotations

from typing import List

from accelctl.probes.base import LazyRun, Probe


def all_probes() -> list[Probe]:
    """The probes in dependency order (a probe's ``requires`` name sections of probes above it)."""
    return [
        Probe(name="system", section="os", run=LazyRun("accelctl.probes.system")),
        Probe(name="container", section="container", run=LazyRun("accelctl.probes.container")),
        Probe(name="environment", section="env", run=LazyRun("accelctl.probes.environment")),
        Probe(name="python", section="python", run=LazyRun("accelctl.probes.python_env"), own_process=True),
        Probe(name="frameworks", section="python", run=LazyRun("accelctl.probes.frameworks.probe"), requires=("python",),
              timeout=60.0, own_process=True, matrices=("pytorch", "jax")),
        Probe(name="nvidia", section="nvidia", run=LazyRun("accelctl.probes.nvidia.probe"), requires=("python",),
              timeout=30.0, own_process=True),
        # the light probes that follow python fork too where CPUs are spare: their imports and runs (~8 ms on
        # the node) come off the doctor's own process, the long pole of a run's end (bench/RESULTS.md, sixth session)
        Probe(name="amd", section="amd", run=LazyRun("accelctl.probes.amd"), requires=("python",), timeout=20.0,
              own_process=True),
        Probe(name="intel", section="intel", run=LazyRun("accelctl.probes.intel"), requires=("python",),
              timeout=15.0, own_process=True),
        Probe(name="other_accelerators", section="other_accelerators", run=LazyRun("accelctl.probes.other_accel"),
              requires=("python",), timeout=15.0, own_process=True),
        Probe(name="fabric", section="fabric", run=LazyRun("accelctl.probes.fabric"), timeout=10.0),
    ]


def probe_named(name: str) -> Probe:
    """One probe of ``all_probes`` by name (KeyError when there is none)."""
    for probe in all_probes():
        if probe.name == name:
            return probe
    raise KeyError(name)
