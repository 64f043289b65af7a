"""GPUs from NVML (one call per fact), or from /proc and nvidia-smi when NVML cannot answer."""

from __future__ import annotations

import re
from typing import Any

from accelctl.host.base import HostError
from accelctl.inventory.nvidia import MigInstance, NvidiaGpu
from accelctl.probes.nvidia.driver import nvml_call

NVLINK_MAX_LINKS = 18  # NVML_NVLINK_MAX_LINKS for Hopper; the loop stops at the first unsupported link
# nvmlBrandType_t (nvml.h) -> the names NVIDIA_REQUIRE_* "brand=" uses (libnvidia-container).
BRANDS = {0: "unknown", 1: "quadro", 2: "tesla", 3: "nvs", 4: "grid", 5: "geforce", 6: "titan", 7: "vapps", 8: "vpc",
          9: "vcs", 10: "vws", 11: "cloudgaming", 12: "quadrortx", 13: "nvidiartx", 14: "nvidia", 15: "geforcertx",
          16: "titanrtx"}


def _mib(value: Any) -> int | None:
    try:
        return int(value) // (1 << 20)
    except (TypeError, ValueError):
        return None


def _pci_device_id(value: Any) -> str | None:
    """NVML's pciDeviceId packs device << 16 | vendor: 0x233010DE -> "0x2330"."""
    try:
        return "0x%04x" % ((int(value) >> 16) & 0xFFFF)
    except (TypeError, ValueError):
        return None


def gpus_from_nvml(host: Any, count: int) -> list[NvidiaGpu]:
    out = []
    for i in range(count):
        name, _ = nvml_call(host, "nvmlDeviceGetName", i)
        uuid, _ = nvml_call(host, "nvmlDeviceGetUUID", i)
        pci, _ = nvml_call(host, "nvmlDeviceGetPciInfo", i)
        cc, _ = nvml_call(host, "nvmlDeviceGetCudaComputeCapability", i)
        mem, _ = nvml_call(host, "nvmlDeviceGetMemoryInfo", i)
        mig, _ = nvml_call(host, "nvmlDeviceGetMigMode", i)
        ecc, _ = nvml_call(host, "nvmlDeviceGetEccMode", i)
        persistence, _ = nvml_call(host, "nvmlDeviceGetPersistenceMode", i)
        brand, _ = nvml_call(host, "nvmlDeviceGetBrand", i)
        pci = pci if isinstance(pci, dict) else {}
        mig_mode = None
        instances: list[MigInstance] = []
        if isinstance(mig, list) and mig:
            mig_mode = "enabled" if mig[0] == 1 else "disabled"
            if mig[0] == 1:
                instances = _mig_instances(host, i)
        out.append(NvidiaGpu(
            index=i,
            name=str(name or "NVIDIA GPU"),
            uuid=uuid,
            pci_bus_id=pci.get("busId") or pci.get("busIdLegacy"),
            pci_device_id=_pci_device_id(pci.get("pciDeviceId")) if pci.get("pciDeviceId") is not None else None,
            compute_capability=f"{cc[0]}.{cc[1]}" if isinstance(cc, list) and len(cc) == 2 else None,
            memory_mib=_mib(mem.get("total")) if isinstance(mem, dict) else None,
            mig_mode=mig_mode,
            mig_instances=instances,
            ecc_enabled=bool(ecc[0]) if isinstance(ecc, list) and ecc else None,
            persistence_mode=bool(persistence) if isinstance(persistence, int) else None,
            nvlink_active_links=_nvlinks(host, i),
            brand=BRANDS.get(brand) if isinstance(brand, int) else None,
            source="NVML",
        ))
    return out


def _mig_instances(host: Any, gpu: int) -> list[MigInstance]:
    count, _ = nvml_call(host, "nvmlDeviceGetMaxMigDeviceCount", gpu)
    out = []
    for j in range(int(count or 0)):
        key = f"{gpu}:{j}"
        uuid, err = nvml_call(host, "nvmlDeviceGetUUID", key)
        if err is not None and uuid is None:
            continue  # an unused MIG slot answers NVML_ERROR_NOT_FOUND
        name, _ = nvml_call(host, "nvmlDeviceGetName", key)
        mem, _ = nvml_call(host, "nvmlDeviceGetMemoryInfo", key)
        out.append(MigInstance(j, name, uuid, _mib(mem.get("total")) if isinstance(mem, dict) else None))
    return out


def _nvlinks(host: Any, gpu: int) -> int | None:
    active = 0
    for link in range(NVLINK_MAX_LINKS):
        state, _err = nvml_call(host, "nvmlDeviceGetNvLinkState", gpu, link)
        if state is None:
            return active if link > 0 else None  # the first error ends the links this GPU has
        active += 1 if state else 0
    return active


def parse_proc_gpu_information(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def gpus_from_proc(host: Any) -> list[NvidiaGpu]:
    """What the kernel module publishes per GPU (no compute capability or memory there)."""
    try:
        entries = host.list_dir("/proc/driver/nvidia/gpus")
    except HostError:
        return []
    out = []
    for i, entry in enumerate(entries):
        try:
            info = parse_proc_gpu_information(host.read_text(f"/proc/driver/nvidia/gpus/{entry.name}/information", 16 << 10))
        except HostError:
            continue
        device_id = None
        try:
            device_id = host.read_text(f"/sys/bus/pci/devices/{entry.name}/device", 64).strip() or None
        except HostError:
            pass
        minor = info.get("Device Minor")
        out.append(NvidiaGpu(index=int(minor) if minor and minor.isdigit() else i, name=info.get("Model", "NVIDIA GPU"),
                             uuid=info.get("GPU UUID"), pci_bus_id=info.get("Bus Location") or entry.name,
                             pci_device_id=device_id, source="/proc/driver/nvidia/gpus"))
    return out


def gpus_from_smi(rows: list[dict]) -> list[NvidiaGpu]:
    out = []
    for i, row in enumerate(rows):
        # ASCII digits only, and few: "²".isdigit() is true but int("²") fails, and a value of
        # thousands of digits is no GPU index or memory size.
        mem = re.match(r"([0-9]{1,12})\b", row.get("memory.total", ""))
        idx = row.get("index", "")
        out.append(NvidiaGpu(
            index=int(idx) if re.fullmatch(r"[0-9]{1,6}", idx) else i, name=row.get("name") or "NVIDIA GPU",
            uuid=row.get("uuid"), pci_bus_id=row.get("pci.bus_id"), compute_capability=row.get("compute_cap") or None,
            memory_mib=int(mem.group(1)) if mem else None,
            mig_mode=(row.get("mig.mode.current") or "").lower() or None if row.get("mig.mode.current") not in ("[N/A]", "N/A") else None,
            ecc_enabled={"Enabled": True, "Disabled": False}.get(row.get("ecc.mode.current", "")),
            source="nvidia-smi"))
    return out


def nvswitch_present(host: Any) -> bool | None:
    """NVSwitch devices show in /proc/driver/nvidia-nvswitch and as /dev/nvidia-nvswitch*."""
    try:
        if host.list_dir("/proc/driver/nvidia-nvswitch/devices"):
            return True
    except HostError:
        pass
    try:
        if any(e.name.startswith("nvidia-nvswitch") for e in host.list_dir("/dev")):
            return True
    except HostError:
        return None
    return False
