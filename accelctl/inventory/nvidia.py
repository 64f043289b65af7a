"""NVIDIA driver, GPUs, CUDA toolkits and native libraries, and which copy loads."""

from __future__ import annotations

from dataclasses import field

from accelctl.record import record


@record
class NvidiaDriver:
    """The kernel module and userspace driver, which must agree."""

    version: str | None = None  # the driver version NVML / the kernel module reports
    version_source: str = ""
    kernel_module_version: str | None = None  # /proc/driver/nvidia/version or /sys/module/nvidia/version
    kernel_module_flavor: str | None = None  # open | proprietary
    libcuda_version: str | None = None  # from the libcuda.so.<version> file name
    libcuda_path: str | None = None
    cuda_driver_version: str | None = None  # highest CUDA the driver supports, "13.0"
    cuda_driver_version_source: str = ""
    nvml_error: str | None = None  # e.g. "Driver/library version mismatch"
    fabric_manager_version: str | None = None
    fabric_manager_source: str = ""
    loaded: bool | None = None  # a kernel module is loaded (None: could not tell)
    status: str = ""  # "loaded" | "no driver loaded" | "userspace only" | "unknown"
    kernel_module_source: str = ""
    libcuda_source: str = ""
    userspace_mismatch: bool | None = None  # kernel module and libcuda disagree (or NVML said so)
    nvml_error_code: int | None = None  # 18 = NVML_ERROR_LIB_RM_VERSION_MISMATCH
    nvml_version: str | None = None
    fabric_manager_matches_driver: bool | None = None


@record
class MigInstance:
    index: int
    name: str | None = None
    uuid: str | None = None
    memory_mib: int | None = None


@record
class NvidiaGpu:
    index: int
    name: str
    uuid: str | None = None
    pci_bus_id: str | None = None
    pci_device_id: str | None = None  # "0x2330" (device part of the PCI id)
    compute_capability: str | None = None  # "9.0"
    memory_mib: int | None = None
    mig_mode: str | None = None  # enabled | disabled
    mig_instances: list[MigInstance] = field(default_factory=list)
    ecc_enabled: bool | None = None
    persistence_mode: bool | None = None
    nvlink_active_links: int | None = None
    brand: str | None = None  # nvidia, tesla, geforce ... (the names NVIDIA_REQUIRE_* brand= uses)
    source: str = ""


@record
class CudaToolkit:
    path: str
    version: str | None = None  # 13.0.88
    version_source: str = ""
    origin: str = "system"  # system | conda | pip
    nvcc: str | None = None
    active: bool = False
    active_because: str | None = None  # CUDA_HOME, nvcc on PATH, /usr/local/cuda link ...
    compat_path: str | None = None  # forward-compat libcuda folder
    compat_version: str | None = None  # driver version of that compat libcuda
    nvcc_version: str | None = None  # the compiler's release, "13.0.88"
    cudart_version: str | None = None  # from libcudart.so.<full version>
    host_gcc: str | None = None  # version of the host gcc nvcc would use ("13.3.0", or "12" from gcc-12); active toolkit only
    host_gcc_source: str | None = None  # NVCC_CCBIN=..., CUDAHOSTCXX=..., gcc on PATH; and how the version was learned


@record
class NativeLibrary:
    """One copy of a native library somewhere the loader or a framework looks."""

    name: str  # cudart, cublas, cudnn, nccl, cusparselt, nvjitlink, tensorrt, libcuda ...
    path: str
    version: str | None = None
    soname: str | None = None
    origin: str = "system"  # system | toolkit | wheel | conda | bundled | driver | compat
    provider: str | None = None  # the distribution (wheel) that ships it
    source: str = ""
    header_version: str | None = None  # from cudnn_version.h / nccl.h next to it, when found
    file_version: str | None = None  # from the file name libX.so.<full version>, when it carries one


@record
class LibraryResolution:
    """Which copy of a library a framework really loads, by the loader's search order."""

    consumer: str  # torch
    library: str  # cudnn
    soname: str  # libcudnn.so.9
    resolved_path: str | None = None
    resolved_version: str | None = None
    resolved_via: str | None = None  # LD_LIBRARY_PATH | RUNPATH | RPATH | ld.so.cache | default dirs | preload
    expected_path: str | None = None  # the copy the framework pins (its wheel's)
    expected_version: str | None = None
    shadowed: bool = False
    candidates: list[str] = field(default_factory=list)
    source: str = ""
    requested_by: str | None = None  # the object whose NEEDED names it (libtorch_cuda.so), or that dlopens it
    framework_note: str | None = None  # how the framework's own loading changes the answer
    why: str = ""  # the search step that picked resolved_path, in words
    how: str = ""  # NEEDED | dlopen | LD_PRELOAD: how the library is asked for
    expected_via: str | None = None  # the search step that picks expected_path without LD_LIBRARY_PATH/LD_PRELOAD
    loaded_after: list[str] = field(default_factory=list)  # frameworks imported before this one in the same process
    undecided: str | None = None  # why the loader's choice cannot be told (an object's RPATH/RUNPATH unreadable)
    candidate_versions: dict[str, str | None] = field(default_factory=dict)  # real path of each copy -> its version


@record
class CdiSpec:
    path: str
    driver_version: str | None = None
    kind: str | None = None  # nvidia.com/gpu
    matches_driver: bool | None = None  # against the loaded kernel module


@record
class ContainerRuntimeView:
    """What the NVIDIA container runtime decides for this image on this host."""

    require: list[str] = field(default_factory=list)  # every NVIDIA_REQUIRE_* value (or the CUDA_VERSION legacy form)
    require_disabled: bool = False  # NVIDIA_DISABLE_REQUIRE
    require_met: bool | None = None  # None: a property it needs is unknown
    require_detail: str = ""
    compat_libcuda: str | None = None  # /usr/local/cuda/compat/libcuda.so.<ver>
    compat_version: str | None = None
    compat_in_use: bool | None = None  # the loader would pick it (ld.so.cache, LD_LIBRARY_PATH or the runtime hook)
    compat_ok: bool | None = None  # False: it would load and break CUDA
    compat_detail: str = ""


@record
class NvidiaInfo:
    present: bool = False  # any NVIDIA device or driver seen
    driver: NvidiaDriver | None = None
    gpus: list[NvidiaGpu] = field(default_factory=list)
    nvswitch_present: bool | None = None
    toolkits: list[CudaToolkit] = field(default_factory=list)
    libraries: list[NativeLibrary] = field(default_factory=list)
    resolutions: list[LibraryResolution] = field(default_factory=list)
    cdi_specs: list[CdiSpec] = field(default_factory=list)
    container: ContainerRuntimeView | None = None
    fabric_manager_required: bool | None = None  # NVSwitch systems need nv-fabricmanager
