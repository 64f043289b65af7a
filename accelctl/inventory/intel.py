"""Intel GPUs (XPU), their kernel driver, Level Zero and oneAPI."""

from __future__ import annotations

from accelctl.record import record
from dataclasses import field
from typing import Dict, List, Optional


@record
class IntelGpu:
    index: int
    name: Optional[str] = None
    pci_device_id: Optional[str] = None
    pci_bus_id: Optional[str] = None
    family: Optional[str] = None  # pvc (Max), flex, arc ...
    driver: Optional[str] = None  # i915 | xe
    source: str = ""
    pci_class: Optional[str] = None  # 0x038000 (3D controller) | 0x030000 (VGA)
    render_node: Optional[str] = None


@record
class OneApiInstall:
    path: str
    components: Dict[str, str] = field(default_factory=dict)  # compiler, mkl, ccl ... -> version
    latest: Dict[str, str] = field(default_factory=dict)  # component -> version its `latest` link names


@record
class IntelInfo:
    present: bool = False
    gpus: List[IntelGpu] = field(default_factory=list)
    level_zero_version: Optional[str] = None
    gpu_runtime_version: Optional[str] = None
    oneapi: List[OneApiInstall] = field(default_factory=list)
    level_zero_path: Optional[str] = None
    gpu_runtime_path: Optional[str] = None
    kernel_drivers: List[str] = field(default_factory=list)  # i915 / xe modules loaded
    wheels: Dict[str, str] = field(default_factory=dict)  # intel-sycl-rt, oneccl-bind-pt, torch (+xpu) ... -> version
    wheels_environment: Optional[str] = None  # the environment the wheels came from
    other_devices: List[str] = field(default_factory=list)  # Intel display devices of no known XPU family
