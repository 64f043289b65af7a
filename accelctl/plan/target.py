"""Plan targets: the machines a plan must work on, from a probe, a snapshot, a fleet or flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accelctl.inventory import Inventory
from accelctl.matrices import MatrixSet
from accelctl.matrices.subjects import cuda_toolkit

VENDORS = ("nvidia", "amd", "intel", "cpu")


@dataclass(frozen=True)
class Target:
    name: str
    vendor: str  # nvidia | amd | intel | cpu
    driver: str | None = None  # NVIDIA driver version
    cuda_max: str | None = None  # highest CUDA the driver supports fully ("12.4")
    ccs: tuple[str, ...] = ()  # NVIDIA compute capabilities
    gpus: tuple[str, ...] = ()  # model names, for messages
    gfx: tuple[str, ...] = ()  # AMD gfx targets
    rocm: str | None = None
    python: str | None = None  # "3.11"
    glibc: str | None = None  # "2.31"
    arch: str = "x86_64"
    installed: dict[str, str] = field(default_factory=dict)  # for the "closest" strategy

    def describe(self) -> str:
        parts = [self.vendor]
        if self.gpus:
            parts.append("/".join(self.gpus))
        elif self.ccs:
            parts.append("sm_" + "/sm_".join(c.replace(".", "") for c in self.ccs))
        if self.gfx:
            parts.append("/".join(self.gfx))
        if self.driver:
            parts.append(f"driver {self.driver}")
        if self.cuda_max:
            parts.append(f"CUDA <= {self.cuda_max}")
        if self.rocm:
            parts.append(f"ROCm {self.rocm}")
        if self.python:
            parts.append(f"Python {self.python}")
        if self.glibc:
            parts.append(f"glibc {self.glibc}")
        return ", ".join(parts)


def _minor(version: str | None) -> str | None:
    if not version:
        return None
    parts = version.split(".")
    return ".".join(parts[:2])


def from_inventory(inv: Inventory, matrices: MatrixSet, name: str = "") -> Target:
    env = inv.python[0] if inv.python else None
    installed = {d.name.lower(): d.version for d in env.distributions} if env else {}
    python = _minor(env.version) if env else None
    common: dict[str, Any] = {"python": python, "glibc": inv.os.libc_version if inv.os.libc == "glibc" else None,
                  "arch": inv.os.arch or "x86_64", "installed": installed}
    if inv.nvidia.gpus:
        drv = inv.nvidia.driver
        driver = (drv.version or drv.kernel_module_version) if drv else None
        cuda_max = (drv.cuda_driver_version if drv else None) or cuda_toolkit.cuda_max_for_driver(
            matrices.entries_or_empty("cuda_toolkit"), driver)
        return Target(name or inv.host, "nvidia", driver, cuda_max,
                      tuple(sorted({g.compute_capability for g in inv.nvidia.gpus if g.compute_capability})),
                      tuple(sorted({g.name for g in inv.nvidia.gpus})), **common)
    if inv.amd.gpus:
        rocm = inv.amd.rocm[0].version if inv.amd.rocm else None
        return Target(name or inv.host, "amd", gfx=tuple(sorted({g.gfx_target for g in inv.amd.gpus if g.gfx_target})),
                      gpus=tuple(sorted({g.name for g in inv.amd.gpus if g.name})), rocm=rocm, **common)
    if inv.intel.gpus:
        return Target(name or inv.host, "intel", gpus=tuple(sorted({g.name for g in inv.intel.gpus if g.name})), **common)
    return Target(name or inv.host, "cpu", **common)


def from_flags(matrices: MatrixSet, vendor: str | None, driver: str | None, gpu: str | None, cc: str | None,
               cuda: str | None, rocm: str | None, gfx: str | None, python: str | None, glibc: str | None,
               arch: str, gpu_cc) -> Target:
    if vendor is None:
        vendor = "amd" if (rocm or gfx) else "nvidia" if (driver or gpu or cc or cuda) else "cpu"
    if vendor == "nvidia":
        ccs = (cc,) if cc else ((gpu_cc(gpu),) if gpu and gpu_cc(gpu) else ())
        cuda_max = cuda or cuda_toolkit.cuda_max_for_driver(matrices.entries_or_empty("cuda_toolkit"), driver)
        return Target("flags", "nvidia", driver, cuda_max, tuple(c for c in ccs if c), (gpu,) if gpu else (),
                      python=python, glibc=glibc, arch=arch)
    if vendor == "amd":
        gfx_targets = (gfx,) if gfx else ()
        return Target("flags", "amd", gfx=gfx_targets, gpus=(gpu,) if gpu else (), rocm=rocm, python=python, glibc=glibc, arch=arch)
    return Target("flags", vendor, python=python, glibc=glibc, arch=arch)


def from_fleet(fleet, matrices: MatrixSet, gpu_cc) -> list[Target]:
    """One target per node class (snapshot classes included)."""
    from accelctl.derive import derive
    from accelctl.inventory import load_snapshot

    out = []
    for c in fleet.classes:
        if c.snapshot:
            t = from_inventory(derive(load_snapshot(c.snapshot), matrices), matrices, c.name)
            out.append(t)
            continue
        t = from_flags(matrices, c.vendor, c.driver, c.gpu, c.compute_capability, c.cuda_driver, c.rocm,
                       c.gfx_target, None, None, "x86_64", gpu_cc)
        out.append(_renamed(t, c.name))
    return out


def _renamed(t: Target, name: str) -> Target:
    import dataclasses

    return dataclasses.replace(t, name=name)
