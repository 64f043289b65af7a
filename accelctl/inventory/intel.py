"""Intel GPUs (XPU), their kernel driver, Level Zero and oneAPI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional


@dataclass(frozen=True)
class IntelGpu:
    index: int
    name: Optional[str] = None
    pci_device_id: Optional[str] = None
    pci_bus_id: Optional[str] = None
    family: Optional[str] = None  # pvc (Max), flex, arc ...
    driver: Optional[str] = None  # i915 | xe
    source: str = ""


@dataclass(frozen=True)
class OneApiInstall:
    path: str
    components: Dict[str, str] = field(default_factory=dict)  # compiler, mkl, ccl ... -> version


@dataclass(frozen=True)
class IntelInfo:
    present: bool = False
    gpus: List[IntelGpu] = field(default_factory=list)
    level_zero_version: Optional[str] = None
    gpu_runtime_version: Optional[str] = None
    oneapi: List[OneApiInstall] = field(default_factory=list)
