"""Probe a host and assemble the Inventory document."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from accelctl import __version__
from accelctl.host.base import Host
from accelctl.probes import all_probes
from accelctl.probes.base import Probe, ProbeContext, ProbeOptions
from accelctl.probes.runner import run_probes

if TYPE_CHECKING:
    from accelctl.inventory import Inventory
    from accelctl.inventory.accelerators import Accelerator
    from accelctl.inventory.common import ProbeRun


def collect(host: Host, options: ProbeOptions, mode: str = "live", probes: Sequence[Probe] | None = None,
            now: _dt.datetime | None = None) -> Inventory:
    """Run the probes on ``host`` and assemble what they observed into an Inventory."""
    ctx = ProbeContext(host, options)
    host.warm_up()  # a device library's child process starts while the probes read files
    try:
        sections, runs = run_probes(list(probes) if probes is not None else all_probes(), ctx)
    finally:
        host.release()
    return _assemble(host, mode, ctx, sections, runs, now)


def _assemble(host: Host, mode: str, ctx: ProbeContext, sections: dict[str, Any], runs: list[ProbeRun],
              now: _dt.datetime | None) -> Inventory:
    from accelctl.inventory import Inventory

    created = (now or _dt.datetime.now(_dt.timezone.utc)).replace(microsecond=0).isoformat()
    inv = Inventory(
        accelctl_version=__version__,
        created=created,
        host=host.label,
        mode=mode,
        unknowns=list(ctx.unknowns),
        probes=runs,
        **{name: value for name, value in sections.items() if value is not None},
    )
    return _with_accelerators(inv)


def summarize_accelerators(inv: Inventory) -> list[Accelerator]:
    """One vendor-neutral line per accelerator, derived from the vendor sections."""
    from accelctl.inventory.accelerators import Accelerator

    out: list[Accelerator] = []
    driver = inv.nvidia.driver.version if inv.nvidia.driver else None
    for gpu in inv.nvidia.gpus:
        cc = gpu.compute_capability
        out.append(Accelerator("nvidia", gpu.index, gpu.name, "gpu", f"sm_{cc.replace('.', '')}" if cc else None,
                               gpu.memory_mib, driver, gpu.pci_bus_id, gpu.source))
    for gpu in inv.amd.gpus:
        out.append(Accelerator("amd", gpu.index, gpu.name or "AMD GPU", "gpu", gpu.gfx_target, gpu.memory_mib,
                               inv.amd.driver_version, gpu.pci_bus_id, gpu.source))
    for gpu in inv.intel.gpus:
        out.append(Accelerator("intel", gpu.index, gpu.name or "Intel GPU", "gpu", gpu.family, None, None,
                               gpu.pci_bus_id, gpu.source))
    for other in inv.other_accelerators:
        vendor = other.vendor if other.vendor in ("google", "aws", "habana") else "other"
        name = f"TPU {other.model}" if other.kind == "tpu" and other.model else (other.model or other.kind)
        buses = [p.split(" ", 1)[0] for p in other.pci_devices]
        for i in range(max(len(other.devices), len(buses), 1)):
            out.append(Accelerator(vendor, i, name, other.kind, other.model, None,  # type: ignore[arg-type]
                                   other.driver_version, buses[i] if i < len(buses) else None, other.source))
    return out


def _with_accelerators(inv: Inventory) -> Inventory:
    import dataclasses

    return dataclasses.replace(inv, accelerators=summarize_accelerators(inv))
