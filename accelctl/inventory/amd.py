"""AMD GPUs, the amdgpu driver and ROCm installations."""

from __future__ import annotations

from accelctl.record import record
from dataclasses import field
from typing import Dict, List, Optional


@record
class AmdGpu:
    index: int
    name: Optional[str] = None
    gfx_target: Optional[str] = None  # gfx942
    pci_device_id: Optional[str] = None  # "0x74a1"
    pci_bus_id: Optional[str] = None
    memory_mib: Optional[int] = None
    source: str = ""
    gfx_target_version: Optional[int] = None  # KFD's encoding: 90402
    kfd_node: Optional[int] = None  # /sys/class/kfd/kfd/topology/nodes/<n>
    compute_units: Optional[int] = None
    render_node: Optional[str] = None  # /dev/dri/renderD128
    name_source: str = ""  # amdsmi | sysfs product_name | matrix amd_gpus


@record
class RocmInstall:
    path: str
    version: Optional[str] = None
    version_source: str = ""
    active: bool = False
    components: Dict[str, str] = field(default_factory=dict)  # hip, rccl, miopen, rocblas, hipblaslt -> version
    active_because: Optional[str] = None  # ROCM_PATH, /opt/rocm link


@record
class RocmBundle:
    """ROCm libraries shipped inside a framework wheel (torch 2.x+rocm6.y)."""

    environment: str  # site-packages folder
    distribution: str  # torch
    version: str  # 2.5.1+rocm6.2
    libraries: Dict[str, str] = field(default_factory=dict)  # file name -> version from the name ("" if none)


@record
class AmdInfo:
    present: bool = False
    source: str = ""  # amdsmi | sysfs
    driver_version: Optional[str] = None  # amdgpu module version
    gpus: List[AmdGpu] = field(default_factory=list)
    rocm: List[RocmInstall] = field(default_factory=list)
    kfd_access: Optional[bool] = None  # /dev/kfd readable and writable by this user
    render_access: Optional[bool] = None
    env: Dict[str, str] = field(default_factory=dict)  # HSA_OVERRIDE_GFX_VERSION, HIP_VISIBLE_DEVICES ...
    source_note: Optional[str] = None  # why amdsmi was not used
    driver_source: str = ""  # amdsmi | /sys/module/amdgpu/version
    driver_kind: Optional[str] = None  # dkms (a version file exists) | inbox (module loaded, no version file)
    kfd_present: Optional[bool] = None  # /dev/kfd exists
    amdsmi_version: Optional[str] = None
    bundled: List[RocmBundle] = field(default_factory=list)
    hsa_override_gfx_version: Optional[str] = None  # as set; the runtime then reports this target
    override_gfx_target: Optional[str] = None  # the gfx target the override names (11.0.0 -> gfx1100)
