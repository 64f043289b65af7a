"""Intel GPUs (XPU): PCI devices, kernel driver, Level Zero, oneAPI and the XPU wheels.

A GPU is an Intel (0x8086) PCI function of display class (0x0300xx VGA or
0x0380xx 3D) whose device id belongs to a data-center or discrete family;
other Intel display functions (integrated graphics) are listed, not counted.
"""

from __future__ import annotations

from typing import Any

from accelctl.inventory.intel import IntelGpu, IntelInfo
from accelctl.probes.base import ProbeContext
from accelctl.probes.intel import ids, pci, runtime

INTEL_VENDOR = "0x8086"


def gpus_from_pci(devices: list[pci.PciDevice]) -> tuple:
    gpus: list[IntelGpu] = []
    others: list[str] = []
    for d in devices:
        if not ids.is_display(d.pci_class):
            continue
        fam, name = ids.classify(d.device)
        if fam is None:
            others.append(d.label())
            continue
        gpus.append(IntelGpu(index=len(gpus), name=name, pci_device_id=d.device, pci_bus_id=d.address, family=fam,
                             driver=d.driver, source="sysfs", pci_class=d.pci_class))
    return gpus, others


def probe(ctx: ProbeContext) -> IntelInfo:
    host = ctx.host
    gpus, others = gpus_from_pci(pci.scan(host, [INTEL_VENDOR]))
    modules = [m for m in ("i915", "xe") if host.is_dir(f"/sys/module/{m}")]
    penvs: Any = ctx.results.get("python") or []
    wheels, wheel_env = runtime.wheels(penvs if isinstance(penvs, list) else [])
    installs = runtime.oneapi_installs(host)
    ld_dirs = [d for d in host.env.get("LD_LIBRARY_PATH", "").split(":") if d.startswith("/")]
    l0_path = l0_version = rt_path = rt_version = None
    if gpus or installs or wheels or modules:
        l0_path, l0_version = runtime.find_library(host, "libze_loader.so.", ld_dirs)
        rt_path, rt_version = runtime.find_library(host, "libze_intel_gpu.so.", ld_dirs)
    for g in gpus:
        if g.driver is None:
            ctx.unknown(f"intel.gpu.{g.pci_bus_id}.driver", "no kernel driver bound (neither i915 nor xe)")
    if gpus and rt_version is None:
        ctx.unknown("intel.gpu_runtime", "no libze_intel_gpu.so.<version> in the library folders: "
                    "Level Zero cannot reach the GPU (install intel-level-zero-gpu / libze-intel-gpu1)")
    return IntelInfo(present=bool(gpus), gpus=gpus, level_zero_version=l0_version, gpu_runtime_version=rt_version,
                     oneapi=installs, level_zero_path=l0_path, gpu_runtime_path=rt_path, kernel_drivers=modules,
                     wheels=wheels, wheels_environment=wheel_env, other_devices=others)
