"""Every probe, in one list: adding a probe means a module plus a line here."""

from __future__ import annotations

from typing import List

from accelctl.probes.base import Probe


def all_probes() -> List[Probe]:
    from accelctl.probes import container, environment, python_env, system

    return [
        system.PROBE,
        container.PROBE,
        environment.PROBE,
        python_env.PROBE,
        __import__("accelctl.probes.frameworks", fromlist=["PROBE"]).PROBE,
        __import__("accelctl.probes.nvidia", fromlist=["PROBE"]).PROBE,
        __import__("accelctl.probes.amd", fromlist=["PROBE"]).PROBE,
        __import__("accelctl.probes.intel", fromlist=["PROBE"]).PROBE,
        __import__("accelctl.probes.other_accel", fromlist=["PROBE"]).PROBE,
    ]
