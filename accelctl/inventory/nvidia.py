"""NVIDIA driver, GPUs, CUDA toolkits and native libraries, and which copy loads."""

from __future__ import annotations

from accelctl.record import record
from dataclasses import field
from typing import List, Optional


@record
class NvidiaDriver:
    """The kernel module and userspace driver, which must agree."""

    version: Optional[str] = None  # the driver version NVML / the kernel module reports
    version_source: str = ""
    kernel_module_version: Optional[str] = None  # /proc/driver/nvidia/version or /sys/module/nvidia/version
    kernel_module_flavor: Optional[str] = None  # open | proprietary
    libcuda_version: Optional[str] = None  # from the libcuda.so.<version> file name
    libcuda_path: Optional[str] = None
    cuda_driver_version: Optional[str] = None  # highest CUDA the driver supports, "13.0"
    cuda_driver_version_source: str = ""
    nvml_error: Optional[str] = None  # e.g. "Driver/library version mismatch"
    fabric_manager_version: Optional[str] = None
    fabric_manager_source: str = ""
    loaded: Optional[bool] = None  # a kernel module is loaded (None: could not tell)
    status: str = ""  # "loaded" | "no driver loaded" | "userspace only" | "unknown"
    kernel_module_source: str = ""
    libcuda_source: str = ""
    userspace_mismatch: Optional[bool] = None  # kernel module and libcuda disagree (or NVML said so)
    nvml_error_code: Optional[int] = None  # 18 = NVML_ERROR_LIB_RM_VERSION_MISMATCH
    nvml_version: Optional[str] = None
    fabric_manager_matches_driver: Optional[bool] = None


@record
class MigInstance:
    index: int
    name: Optional[str] = None
    uuid: Optional[str] = None
    memory_mib: Optional[int] = None


@record
class NvidiaGpu:
    index: int
    name: str
    uuid: Optional[str] = None
    pci_bus_id: Optional[str] = None
    pci_device_id: Optional[str] = None  # "0x2330" (device part of the PCI id)
    compute_capability: Optional[str] = None  # "9.0"
    memory_mib: Optional[int] = None
    mig_mode: Optional[str] = None  # enabled | disabled
    mig_instances: List[MigInstance] = field(default_factory=list)
    ecc_enabled: Optional[bool] = None
    persistence_mode: Optional[bool] = None
    nvlink_active_links: Optional[int] = None
    brand: Optional[str] = None  # nvidia, tesla, geforce ... (the names NVIDIA_REQUIRE_* brand= uses)
    source: str = ""


@record
class CudaToolkit:
    path: str
    version: Optional[str] = None  # 13.0.88
    version_source: str = ""
    origin: str = "system"  # system | conda | pip
    nvcc: Optional[str] = None
    active: bool = False
    active_because: Optional[str] = None  # CUDA_HOME, nvcc on PATH, /usr/local/cuda link ...
    compat_path: Optional[str] = None  # forward-compat libcuda folder
    compat_version: Optional[str] = None  # driver version of that compat libcuda
    nvcc_version: Optional[str] = None  # the compiler's release, "13.0.88"
    cudart_version: Optional[str] = None  # from libcudart.so.<full version>
    host_gcc: Optional[str] = None  # version of the host gcc nvcc would use ("13.3.0", or "12" from gcc-12); active toolkit only
    host_gcc_source: Optional[str] = None  # NVCC_CCBIN=..., CUDAHOSTCXX=..., gcc on PATH; and how the version was learned


@record
class NativeLibrary:
    """One copy of a native library somewhere the loader or a framework looks."""

    name: str  # cudart, cublas, cudnn, nccl, cusparselt, nvjitlink, tensorrt, libcuda ...
    path: str
    version: Optional[str] = None
    soname: Optional[str] = None
    origin: str = "system"  # system | toolkit | wheel | conda | bundled | driver | compat
    provider: Optional[str] = None  # the distribution (wheel) that ships it
    source: str = ""
    header_version: Optional[str] = None  # from cudnn_version.h / nccl.h next to it, when found
    file_version: Optional[str] = None  # from the file name libX.so.<full version>, when it carries one


@record
class LibraryResolution:
    """Which copy of a library a framework really loads, by the loader's search order."""

    consumer: str  # torch
    library: str  # cudnn
    soname: str  # libcudnn.so.9
    resolved_path: Optional[str] = None
    resolved_version: Optional[str] = None
    resolved_via: Optional[str] = None  # LD_LIBRARY_PATH | RUNPATH | RPATH | ld.so.cache | default dirs | preload
    expected_path: Optional[str] = None  # the copy the framework pins (its wheel's)
    expected_version: Optional[str] = None
    shadowed: bool = False
    candidates: List[str] = field(default_factory=list)
    source: str = ""
    requested_by: Optional[str] = None  # the object whose NEEDED names it (libtorch_cuda.so)
    framework_note: Optional[str] = None  # how the framework's own loading changes the answer


@record
class CdiSpec:
    path: str
    driver_version: Optional[str] = None
    kind: Optional[str] = None  # nvidia.com/gpu
    matches_driver: Optional[bool] = None  # against the loaded kernel module


@record
class ContainerRuntimeView:
    """What the NVIDIA container runtime decides for this image on this host."""

    require: List[str] = field(default_factory=list)  # every NVIDIA_REQUIRE_* value (or the CUDA_VERSION legacy form)
    require_disabled: bool = False  # NVIDIA_DISABLE_REQUIRE
    require_met: Optional[bool] = None  # None: a property it needs is unknown
    require_detail: str = ""
    compat_libcuda: Optional[str] = None  # /usr/local/cuda/compat/libcuda.so.<ver>
    compat_version: Optional[str] = None
    compat_in_use: Optional[bool] = None  # the loader would pick it (ld.so.cache, LD_LIBRARY_PATH or the runtime hook)
    compat_ok: Optional[bool] = None  # False: it would load and break CUDA
    compat_detail: str = ""


@record
class NvidiaInfo:
    present: bool = False  # any NVIDIA device or driver seen
    driver: Optional[NvidiaDriver] = None
    gpus: List[NvidiaGpu] = field(default_factory=list)
    nvswitch_present: Optional[bool] = None
    toolkits: List[CudaToolkit] = field(default_factory=list)
    libraries: List[NativeLibrary] = field(default_factory=list)
    resolutions: List[LibraryResolution] = field(default_factory=list)
    cdi_specs: List[CdiSpec] = field(default_factory=list)
    container: Optional[ContainerRuntimeView] = None
    fabric_manager_required: Optional[bool] = None  # NVSwitch systems need nv-fabricmanager
