"""Intel GPUs (XPU), their kernel driver, Level Zero and oneAPI."""

from __future__ import annotations

from dataclasses import field

from accelctl.record import record


@record
class IntelGpu:
    index: int
    name: str | None = None
    pci_device_id: str | None = None
    pci_bus_id: str | None = None
    family: str | None = None  # pvc (Max), flex, arc ...
    driver: str | None = None  # i915 | xe
    source: str = ""
    pci_class: str | None = None  # 0x038000 (3D controller) | 0x030000 (VGA)
    render_node: str | None = None


@record
class OneApiInstall:
    path: str
    components: dict[str, str] = field(default_factory=dict)  # compiler, mkl, ccl ... -> version
    latest: dict[str, str] = field(default_factory=dict)  # component -> version its `latest` link names


@record
class IntelInfo:
    present: bool = False
    gpus: list[IntelGpu] = field(default_factory=list)
    level_zero_version: str | None = None
    gpu_runtime_version: str | None = None
    oneapi: list[OneApiInstall] = field(default_factory=list)
    level_zero_path: str | None = None
    gpu_runtime_path: str | None = None
    kernel_drivers: list[str] = field(default_factory=list)  # i915 / xe modules loaded
    wheels: dict[str, str] = field(default_factory=dict)  # intel-sycl-rt, oneccl-bind-pt, torch (+xpu) ... -> version
    wheels_environment: str | None = None  # the environment the wheels came from
    other_devices: list[str] = field(default_factory=list)  # Intel display devices of no known XPU family
