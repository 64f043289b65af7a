"""Probe a host and assemble what the probes observed into the Inventory document."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from accelctl import __version__
from accelctl.host.base import Host
from accelctl.inventory import Inventory
from accelctl.probes import all_probes
from accelctl.probes.base import Probe, ProbeContext, ProbeOptions
from accelctl.probes.runner import run_probes


def collect(host: Host, options: ProbeOptions, mode: str = "live", probes: Sequence[Probe] | None = None,
            now: _dt.datetime | None = None) -> Inventory:
    """Run the probes on ``host``; the Inventory holds observations only (``accelctl.derive`` adds the rest)."""
    ctx = ProbeContext(host, options)
    host.warm_up()  # a device library's child process starts while the probes read files
    try:
        sections, runs = run_probes(list(probes) if probes is not None else all_probes(), ctx)
    finally:
        host.release()
    created = (now or _dt.datetime.now(_dt.timezone.utc)).replace(microsecond=0).isoformat()
    return Inventory(accelctl_version=__version__, created=created, host=host.label, mode=mode,
                     unknowns=list(ctx.unknowns), probes=runs,
                     **{name: value for name, value in sections.items() if value is not None})
