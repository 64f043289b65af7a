"""AMD GPUs, the amdgpu driver and ROCm installations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional


@dataclass(frozen=True)
class AmdGpu:
    index: int
    name: Optional[str] = None
    gfx_target: Optional[str] = None  # gfx942
    pci_device_id: Optional[str] = None  # "0x74a1"
    pci_bus_id: Optional[str] = None
    memory_mib: Optional[int] = None
    source: str = ""


@dataclass(frozen=True)
class RocmInstall:
    path: str
    version: Optional[str] = None
    version_source: str = ""
    active: bool = False
    components: Dict[str, str] = field(default_factory=dict)  # hip, rccl, miopen, rocblas, hipblaslt -> version


@dataclass(frozen=True)
class AmdInfo:
    present: bool = False
    source: str = ""  # amdsmi | sysfs
    driver_version: Optional[str] = None  # amdgpu module version
    gpus: List[AmdGpu] = field(default_factory=list)
    rocm: List[RocmInstall] = field(default_factory=list)
    kfd_access: Optional[bool] = None  # /dev/kfd readable and writable by this user
    render_access: Optional[bool] = None
    env: Dict[str, str] = field(default_factory=dict)  # HSA_OVERRIDE_GFX_VERSION, HIP_VISIBLE_DEVICES ...
