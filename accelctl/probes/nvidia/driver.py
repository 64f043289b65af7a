"""The NVIDIA driver: NVML first, then the kernel module's /proc file, then nvidia-smi.

The kernel module and the userspace libcuda must be the same version; after an
upgrade without reboot (or a container mounting another driver's libraries)
they differ and NVML fails with NVML_ERROR_LIB_RM_VERSION_MISMATCH (18). That
case is recorded, and the versions are then read from /proc and file names.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from accelctl.host.base import DeviceLibraryError, HostError, NotSupported

NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18
_PROC_VERSION = re.compile(r"NVRM version:\s+NVIDIA UNIX (?P<open>Open )?.*?Kernel Module(?: for \S+)?\s+(?P<ver>\d+\.\d+(?:\.\d+)?)")
_LIBCUDA = re.compile(r"^libcuda\.so\.(\d+\.\d+(?:\.\d+)?)$")
_SMI_HEADER = re.compile(r"Driver Version:\s*(?P<drv>\d+\.\d+(?:\.\d+)?)\s+CUDA Version:\s*(?P<cuda>\d+\.\d+)")
_FM_VERSION = re.compile(r"(?i)fabric manager version is\s*:?\s*(\d+\.\d+(?:\.\d+)?)")
# Where driver packages and container runtimes put libcuda.so.<version>.
DRIVER_LIB_DIRS = ("/usr/local/nvidia/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib/aarch64-linux-gnu",
                   "/usr/lib/wsl/lib", "/usr/lib")
SMI_QUERY = ("nvidia-smi", ("--query-gpu=index,name,uuid,driver_version,compute_cap,memory.total,pci.bus_id,"
             "mig.mode.current,ecc.mode.current"), "--format=csv")


def parse_proc_version(text: str) -> tuple[str | None, str | None]:
    """(version, "open" | "proprietary") from /proc/driver/nvidia/version."""
    m = _PROC_VERSION.search(text)
    if not m:
        return None, None
    return m.group("ver"), "open" if m.group("open") else "proprietary"


def cuda_version_from_int(value: Any) -> str | None:
    """NVML/cuDriverGetVersion integers: 13000 -> "13.0", 12040 -> "12.4"."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    if n <= 0:
        return None
    return f"{n // 1000}.{(n % 1000) // 10}"


def libcuda_version_from_name(name: str) -> str | None:
    m = _LIBCUDA.match(posixpath.basename(name))
    return m.group(1) if m else None


def parse_smi_header(text: str) -> tuple[str | None, str | None]:
    """(driver version, CUDA version) from the table plain `nvidia-smi` prints."""
    m = _SMI_HEADER.search(text)
    return (m.group("drv"), m.group("cuda")) if m else (None, None)


def parse_smi_csv(text: str) -> list[dict]:
    """Rows of `nvidia-smi --query-gpu=... --format=csv` as dicts keyed by the query field names."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines or "," not in lines[0]:
        return []
    header = [h.strip().split(" [")[0] for h in lines[0].split(",")]
    rows = []
    for line in lines[1:]:
        values = [v.strip() for v in line.split(",")]
        if len(values) == len(header):
            rows.append(dict(zip(header, values)))
    return rows


def parse_fabric_manager_version(text: str) -> str | None:
    m = _FM_VERSION.search(text)
    return m.group(1) if m else None


def nvml_call(host: Any, call: str, *args: Any) -> tuple[Any, DeviceLibraryError | None]:
    """(answer, None) or (None, the NVML error); NotSupported propagates as (None, None)."""
    try:
        return host.nvml(call, *args), None
    except DeviceLibraryError as exc:
        return None, exc
    except (NotSupported, HostError):
        return None, None


def read_kernel_module(host: Any) -> tuple[str | None, str | None, str]:
    """(version, flavor, source) of the loaded kernel module, or Nones."""
    try:
        version, flavor = parse_proc_version(host.read_text("/proc/driver/nvidia/version", 16 << 10))
        if version:
            return version, flavor, "/proc/driver/nvidia/version"
    except HostError:
        pass
    try:
        text = host.read_text("/sys/module/nvidia/version", 256).strip()
        if re.match(r"^\d+\.\d+", text):
            return text, None, "/sys/module/nvidia/version"
    except HostError:
        pass
    return None, None, ""


def _is_libcuda(name: str) -> bool:
    return name.startswith("libcuda.so.")


def libcuda_from_dirs(host: Any) -> tuple[str | None, str | None]:
    """(path, version) of the first libcuda.so.<version> in the usual driver folders."""
    for folder in DRIVER_LIB_DIRS:
        try:
            names = [e.name for e in host.list_dir(folder, _is_libcuda)]
        except HostError:
            continue
        for name in sorted(names):
            version = libcuda_version_from_name(name)
            if version:
                return posixpath.join(folder, name), version
    return None, None
