"""One vendor-neutral line per accelerator, from the vendor sections."""

from __future__ import annotations

from accelctl.inventory import Inventory
from accelctl.inventory.accelerators import Accelerator


def summarize_accelerators(inv: Inventory) -> list[Accelerator]:
    """One vendor-neutral line per accelerator, derived from the vendor sections."""
    out: list[Accelerator] = []
    driver = inv.nvidia.driver.version if inv.nvidia.driver else None
    for gpu in inv.nvidia.gpus:
        cc = gpu.compute_capability
        out.append(Accelerator("nvidia", gpu.index, gpu.name, "gpu", f"sm_{cc.replace('.', '')}" if cc else None,
                               gpu.memory_mib, driver, gpu.pci_bus_id, gpu.source))
    for amd in inv.amd.gpus:
        out.append(Accelerator("amd", amd.index, amd.name or "AMD GPU", "gpu", amd.gfx_target, amd.memory_mib,
                               inv.amd.driver_version, amd.pci_bus_id, amd.source))
    for intel in inv.intel.gpus:
        out.append(Accelerator("intel", intel.index, intel.name or "Intel GPU", "gpu", intel.family, None, None,
                               intel.pci_bus_id, intel.source))
    for other in inv.other_accelerators:
        vendor = other.vendor if other.vendor in ("google", "aws", "habana") else "other"
        name = f"TPU {other.model}" if other.kind == "tpu" and other.model else (other.model or other.kind)
        buses = [p.split(" ", 1)[0] for p in other.pci_devices]
        for i in range(max(len(other.devices), len(buses), 1)):
            out.append(Accelerator(vendor, i, name, other.kind, other.model, None,  # type: ignore[arg-type]
                                   other.driver_version, buses[i] if i < len(buses) else None, other.source))
    return out
