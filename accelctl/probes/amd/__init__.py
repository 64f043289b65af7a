"""AMD GPUs, the amdgpu driver, ROCm installations and what torch bundles.

amdsmi answers first (calls by amdsmi function name, the first argument the
GPU index); when it is absent or its native library fails, the KFD topology and
DRM sysfs give the same GPUs and the section says which source it used and why.
The gfx target always comes from KFD's gfx_target_version when KFD is there:
that is what the ROCm runtime itself reads.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from accelctl.host.base import DeviceLibraryError, HostError, NotSupported
from accelctl.inventory.amd import AmdGpu, AmdInfo
from accelctl.probes.amd import kfd, rocm
from accelctl.probes.base import ProbeContext

ENV_VARS = ("HSA_OVERRIDE_GFX_VERSION", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES",
            "GPU_DEVICE_ORDINAL", "ROCM_PATH", "HIP_PATH", "HSA_ENABLE_SDMA", "PYTORCH_ROCM_ARCH")


def _hex_id(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return f"0x{value:04x}"
    text = str(value).strip().lower()
    try:
        return f"0x{int(text, 16):04x}"
    except ValueError:
        return None


def _gfx_name(value: Any) -> str | None:
    """amdsmi's target_graphics_version: "gfx942", or the bare hex digits "942" some releases return."""
    if not value or value in ("N/A", "0"):
        return None
    text = str(value).strip().lower()
    return text if text.startswith("gfx") else f"gfx{text}"


def _call(host: Any, call: str, *args: Any) -> tuple[Any, str | None]:
    try:
        return host.amdsmi(call, *args), None
    except (DeviceLibraryError, NotSupported, HostError) as exc:
        return None, str(exc)


def start_amdsmi(host: Any) -> tuple[bool, str | None]:
    """(usable, why not)."""
    try:
        host.amdsmi("amdsmi_init")
        return True, None
    except NotSupported as exc:
        return False, f"amdsmi is not available ({exc}); GPUs read from sysfs"
    except DeviceLibraryError as exc:
        return False, f"amdsmi failed to load or initialise ({exc.message}); GPUs read from sysfs"
    except HostError as exc:
        return False, f"amdsmi unusable ({exc}); GPUs read from sysfs"


def gpus_from_amdsmi(host: Any) -> tuple[list[AmdGpu], str | None, str | None]:
    """(GPUs, driver version, amdsmi library version)."""
    count, _ = _call(host, "device_count")
    gpus: list[AmdGpu] = []
    driver = None
    for i in range(int(count or 0)):
        asic, _ = _call(host, "amdsmi_get_gpu_asic_info", i)
        asic = asic if isinstance(asic, dict) else {}
        bdf, _ = _call(host, "amdsmi_get_gpu_device_bdf", i)
        vram, _ = _call(host, "amdsmi_get_gpu_vram_info", i)
        drv, _ = _call(host, "amdsmi_get_gpu_driver_info", i)
        if isinstance(drv, dict) and drv.get("driver_version") and driver is None:
            driver = str(drv["driver_version"])
        cu = asic.get("num_compute_units", asic.get("num_of_compute_units"))
        size = vram.get("vram_size") if isinstance(vram, dict) else None  # MB, per amdsmi's docs
        market = asic.get("market_name")
        gpus.append(AmdGpu(
            index=i, name=market if market and market != "N/A" else None,
            gfx_target=_gfx_name(asic.get("target_graphics_version")),
            pci_device_id=_hex_id(asic.get("device_id")), pci_bus_id=str(bdf).lower() if bdf else None,
            memory_mib=int(size) if isinstance(size, (int, float)) and size > 0 else None,
            compute_units=int(cu) if isinstance(cu, int) and cu > 0 else None,
            source="amdsmi", name_source="amdsmi" if market and market != "N/A" else ""))
    lib, _ = _call(host, "amdsmi_get_lib_version")
    lib_version = None
    if isinstance(lib, dict):
        parts = [str(lib[k]) for k in ("major", "minor", "release") if k in lib]
        lib_version = ".".join(parts) or None
    elif isinstance(lib, str):
        lib_version = lib
    return gpus, driver, lib_version


def gpus_from_sysfs(host: Any, nodes: list[kfd.KfdNode]) -> list[AmdGpu]:
    out: list[AmdGpu] = []
    for node in (n for n in nodes if n.is_gpu and n.properties.get("vendor_id", kfd.AMD_VENDOR) == kfd.AMD_VENDOR):
        p = node.properties
        vram = kfd.vram_bytes(host, node.node)
        simd, per_cu = p.get("simd_count", 0), p.get("simd_per_cu", 0)
        minor = p.get("drm_render_minor")
        out.append(AmdGpu(
            index=len(out), gfx_target=kfd.gfx_from_target_version(node.gfx_target_version),
            pci_device_id=_hex_id(p.get("device_id")) if p.get("device_id") else None, pci_bus_id=node.pci_bus_id,
            memory_mib=vram // (1 << 20) if vram else None, source="sysfs", gfx_target_version=node.gfx_target_version,
            kfd_node=node.node, compute_units=simd // per_cu if simd and per_cu else None,
            render_node=f"/dev/dri/renderD{minor}" if minor else None))
    return out


def drm_cards(host: Any) -> list[tuple[str, str]]:
    """(card name, PCI device id) of AMD cards in /sys/class/drm (no KFD: compute is off or not built)."""
    out: list[tuple[str, str]] = []
    try:
        entries = host.list_dir("/sys/class/drm")
    except HostError:
        return out
    for e in entries:
        if not (e.name.startswith("card") and e.name[4:].isdigit()):
            continue
        try:
            vendor = host.read_text(f"/sys/class/drm/{e.name}/device/vendor", 64).strip()
            device = host.read_text(f"/sys/class/drm/{e.name}/device/device", 64).strip()
        except HostError:
            continue
        if vendor.lower() == "0x1002":
            out.append((e.name, device.lower()))
    return out


def _merge_kfd(gpus: list[AmdGpu], sysfs: list[AmdGpu]) -> list[AmdGpu]:
    """Give amdsmi's GPUs the KFD facts (gfx_target_version, node, render node) of the same PCI address."""
    by_bus = {g.pci_bus_id: g for g in sysfs if g.pci_bus_id}
    out = []
    for g in gpus:
        k = by_bus.get(g.pci_bus_id) if g.pci_bus_id else None
        if k is None:
            out.append(g)
            continue
        out.append(dataclasses.replace(
            g, gfx_target=k.gfx_target or g.gfx_target, gfx_target_version=k.gfx_target_version, kfd_node=k.kfd_node,
            render_node=k.render_node, compute_units=g.compute_units or k.compute_units,
            memory_mib=g.memory_mib or k.memory_mib, pci_device_id=g.pci_device_id or k.pci_device_id))
    return out


def _named(host: Any, gpus: list[AmdGpu]) -> list[AmdGpu]:
    out = []
    for g in gpus:
        if g.name:
            out.append(g)
            continue
        minor = int(g.render_node.rsplit("renderD", 1)[1]) if g.render_node else None
        product = kfd.drm_product_name(host, minor)
        out.append(dataclasses.replace(g, name=product, name_source="sysfs product_name") if product else g)
    return out


def probe(ctx: ProbeContext) -> AmdInfo:
    host = ctx.host
    env: dict[str, str] = {k: host.env[k] for k in ENV_VARS if k in host.env}
    kfd_present = host.exists("/dev/kfd")
    nodes = kfd.read_nodes(host)
    sysfs_gpus = gpus_from_sysfs(host, nodes or [])
    cards = drm_cards(host) if not sysfs_gpus else []
    driver, driver_source, driver_kind = rocm.read_driver(host)
    amd_hint = bool(sysfs_gpus or cards or kfd_present or driver_kind)

    source, note, lib_version = "", None, None
    gpus: list[AmdGpu] = []
    usable, why = start_amdsmi(host) if amd_hint else (False, None)
    if usable:
        smi_gpus, smi_driver, lib_version = gpus_from_amdsmi(host)
        if smi_gpus:
            gpus, source = _merge_kfd(smi_gpus, sysfs_gpus), "amdsmi"
            if smi_driver and not driver:
                driver, driver_source = smi_driver, "amdsmi"
        else:
            why = "amdsmi reported no GPUs; GPUs read from sysfs"
    if not gpus and sysfs_gpus:
        gpus, source, note = sysfs_gpus, "sysfs", why
        ctx.unknown("amd.amdsmi", why or "amdsmi not used")
    elif not gpus and cards:
        source, note = "sysfs", "AMD display devices without a KFD compute node: " + ", ".join(
            f"{c} ({d})" for c, d in cards)
        ctx.unknown("amd.gpus", note)
    gpus = _named(host, gpus)

    override = env.get("HSA_OVERRIDE_GFX_VERSION")
    present = bool(gpus or cards or kfd_present)
    penvs = ctx.results.get("python") or []
    installs = rocm.installs(host) if present or host.is_dir("/opt/rocm") or host.env.get("ROCM_PATH") else []
    bundles = rocm.bundled(host, penvs if isinstance(penvs, list) else [])
    kfd_access = host.access("/dev/kfd", write=True) if kfd_present else None
    render_access = None
    renders = [g.render_node for g in gpus if g.render_node]
    if renders:
        answers = [host.access(r, write=True) for r in renders]
        render_access = None if any(a is None for a in answers) else all(answers)
    if present and kfd_present is False:
        ctx.unknown("amd.kfd", "/dev/kfd is absent: the ROCm runtime cannot open the GPUs (in a container, pass --device=/dev/kfd)")
    if present and not driver and driver_kind != "inbox":
        ctx.unknown("amd.driver", "no /sys/module/amdgpu/version and no amdsmi answer")
    package = rocm.read_dkms_package(host) if driver_kind == "dkms" else None
    return AmdInfo(
        present=present, source=source, driver_version=driver, gpus=gpus, rocm=installs, kfd_access=kfd_access,
        render_access=render_access, env=env, source_note=note, driver_source=driver_source, driver_kind=driver_kind,
        kfd_present=kfd_present if (present or host.can_query_devices) else None, amdsmi_version=lib_version,
        bundled=bundles, hsa_override_gfx_version=override,
        override_gfx_target=kfd.gfx_from_override(override) if override else None,
        driver_package=package, driver_rocm_release=rocm.rocm_release_of_dkms(package) if package else None)
