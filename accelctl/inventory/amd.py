"""AMD GPUs, the amdgpu driver and ROCm installations."""

from __future__ import annotations

from dataclasses import field

from accelctl.record import record


@record
class AmdGpu:
    index: int
    name: str | None = None
    gfx_target: str | None = None  # gfx942
    pci_device_id: str | None = None  # "0x74a1"
    pci_bus_id: str | None = None
    memory_mib: int | None = None
    source: str = ""
    gfx_target_version: int | None = None  # KFD's encoding: 90402
    kfd_node: int | None = None  # /sys/class/kfd/kfd/topology/nodes/<n>
    compute_units: int | None = None
    render_node: str | None = None  # /dev/dri/renderD128
    name_source: str = ""  # amdsmi | sysfs product_name | matrix amd_gpus


@record
class RocmInstall:
    path: str
    version: str | None = None
    version_source: str = ""
    active: bool = False
    components: dict[str, str] = field(default_factory=dict)  # hip, rccl, miopen, rocblas, hipblaslt -> version
    active_because: str | None = None  # ROCM_PATH, /opt/rocm link


@record
class RocmBundle:
    """ROCm libraries shipped inside a framework wheel (torch 2.x+rocm6.y)."""

    environment: str  # site-packages folder
    distribution: str  # torch
    version: str  # 2.5.1+rocm6.2
    libraries: dict[str, str] = field(default_factory=dict)  # file name -> version from the name ("" if none)


@record
class AmdInfo:
    present: bool = False
    source: str = ""  # amdsmi | sysfs
    driver_version: str | None = None  # amdgpu module version
    gpus: list[AmdGpu] = field(default_factory=list)
    rocm: list[RocmInstall] = field(default_factory=list)
    kfd_access: bool | None = None  # /dev/kfd readable and writable by this user
    render_access: bool | None = None
    env: dict[str, str] = field(default_factory=dict)  # HSA_OVERRIDE_GFX_VERSION, HIP_VISIBLE_DEVICES ...
    source_note: str | None = None  # why amdsmi was not used
    driver_source: str = ""  # amdsmi | /sys/module/amdgpu/version
    driver_kind: str | None = None  # dkms (a version file exists) | inbox (module loaded, no version file)
    kfd_present: bool | None = None  # /dev/kfd exists
    amdsmi_version: str | None = None
    bundled: list[RocmBundle] = field(default_factory=list)
    hsa_override_gfx_version: str | None = None  # as set; the runtime then reports this target
    override_gfx_target: str | None = None  # the gfx target the override names (11.0.0 -> gfx1100)
    driver_package: str | None = None  # amdgpu-dkms package version (dpkg): 1:6.2.4.50700-1652687.22.04
    driver_rocm_release: str | None = None  # the ROCm release that driver package came with: 5.7.0
