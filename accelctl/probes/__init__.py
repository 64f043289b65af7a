"""Every probe, in one list: adding a probe means a module with a ``probe(ctx)`` function plus a line here."""

from __future__ import annotations

from accelctl.probes.base import Probe


def all_probes() -> list[Probe]:
    """The probes; ``requires`` names the sections a probe reads (``ctx.results``), and the runner runs those first.

    Each section has exactly one writer: the probe whose ``section`` it is. The probe modules are imported here,
    not with the package, so that a parser the rules share (``nvidia.container_view``) loads alone.
    """
    from accelctl.probes import amd, container, environment, fabric, intel, other_accel, python_env, system
    from accelctl.probes.nvidia import probe as nvidia

    return [
        Probe(name="system", section="os", run=system.probe),
        Probe(name="container", section="container", run=container.probe),
        Probe(name="environment", section="env", run=environment.probe),
        # the environment and its framework wheels (the wheels are read by the frameworks readers, whose
        # unknowns are attributed to "frameworks")
        Probe(name="python", section="python", run=python_env.probe, timeout=60.0),
        Probe(name="nvidia", section="nvidia", run=nvidia.probe, requires=("python",), timeout=30.0),
        Probe(name="amd", section="amd", run=amd.probe, requires=("python",), timeout=20.0),
        Probe(name="intel", section="intel", run=intel.probe, requires=("python",), timeout=15.0),
        Probe(name="other_accelerators", section="other_accelerators", run=other_accel.probe, requires=("python",),
              timeout=15.0),
        Probe(name="fabric", section="fabric", run=fabric.probe, timeout=10.0),
    ]


def probe_named(name: str) -> Probe:
    """One probe of ``all_probes`` by name (KeyError when there is none)."""
    for probe in all_probes():
        if probe.name == name:
            return probe
    raise KeyError(name)
