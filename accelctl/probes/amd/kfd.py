"""KFD topology and DRM sysfs: AMD GPUs without any ROCm userspace.

Layout (Linux drivers/gpu/drm/amd/amdkfd/kfd_topology.c): one folder per node
under /sys/class/kfd/kfd/topology/nodes/, each with a ``properties`` file of
"name value" lines. CPU nodes have simd_count 0; GPU nodes carry
gfx_target_version, vendor_id, device_id, location_id (PCI bus<<8 | devfn),
domain and drm_render_minor.
"""

from __future__ import annotations

import posixpath
from typing import Any

from accelctl.host.base import HostError
from accelctl.record import record

KFD_NODES = "/sys/class/kfd/kfd/topology/nodes"
AMD_VENDOR = 0x1002


@record
class KfdNode:
    node: int
    properties: dict[str, int]

    @property
    def is_gpu(self) -> bool:
        return self.properties.get("simd_count", 0) > 0

    @property
    def gfx_target_version(self) -> int | None:
        value = self.properties.get("gfx_target_version")
        return value if value else None

    @property
    def pci_bus_id(self) -> str | None:
        loc = self.properties.get("location_id")
        if loc is None:
            return None
        domain = self.properties.get("domain", 0)
        return f"{domain:04x}:{(loc >> 8) & 0xFF:02x}:{(loc >> 3) & 0x1F:02x}.{loc & 0x7}"


def parse_properties(text: str) -> dict[str, int]:
    """KFD properties text -> {name: integer}; lines that are not "name integer" are skipped."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = int(parts[1])
            except ValueError:
                continue
    return out


def gfx_from_target_version(value: int | None) -> str | None:
    """KFD's gfx_target_version (major*10000 + minor*100 + stepping) -> LLVM target name.

    Minor and stepping print as hex digits (90010 -> gfx90a), as LLVM's
    AMDGPUUsage processor names do; 0 (a CPU node) has no target.
    """
    if not value or value < 10000:
        return None
    major, minor, step = value // 10000, (value // 100) % 100, value % 100
    if minor > 15 or step > 15:
        return None
    return f"gfx{major}{minor:x}{step:x}"


def gfx_from_override(value: str) -> str | None:
    """HSA_OVERRIDE_GFX_VERSION "11.0.0" -> gfx1100 (major.minor.stepping, as ROCr reads it)."""
    parts = value.strip().split(".")
    if len(parts) != 3:
        return None
    try:
        major, minor, step = (int(p) for p in parts)
    except ValueError:
        return None
    return gfx_from_target_version(major * 10000 + minor * 100 + step)


def read_nodes(host: Any) -> list[KfdNode] | None:
    """Every KFD topology node, by number; None when there is no KFD topology."""
    try:
        entries = host.list_dir(KFD_NODES)
    except HostError:
        return None
    nodes = []
    for e in entries:
        if not e.name.isdigit():
            continue
        try:
            text = host.read_text(posixpath.join(KFD_NODES, e.name, "properties"), 64 << 10)
        except HostError:
            continue
        nodes.append(KfdNode(int(e.name), parse_properties(text)))
    return sorted(nodes, key=lambda n: n.node)


def vram_bytes(host: Any, node: int) -> int | None:
    """Local memory of a GPU node: its mem_banks' size_in_bytes (heap_type 1 = FB_PUBLIC, 2 = FB_PRIVATE)."""
    base = posixpath.join(KFD_NODES, str(node), "mem_banks")
    try:
        banks = host.list_dir(base)
    except HostError:
        return None
    total = 0
    for b in banks:
        try:
            props = parse_properties(host.read_text(posixpath.join(base, b.name, "properties"), 16 << 10))
        except HostError:
            continue
        if props.get("heap_type") in (1, 2) or "heap_type" not in props:
            total += props.get("size_in_bytes", 0)
    return total or None


def drm_product_name(host: Any, render_minor: int | None) -> str | None:
    """amdgpu's product_name sysfs attribute (from the board FRU; absent on most Radeon cards).

    The render node's device link leads to the PCI device; kernel doc
    Documentation/gpu/amdgpu/driver-misc.rst describes product_name.
    """
    if not render_minor:
        return None
    try:
        text = host.read_text(f"/sys/class/drm/renderD{render_minor}/device/product_name", 4096).strip()
    except HostError:
        return None
    return text or None
