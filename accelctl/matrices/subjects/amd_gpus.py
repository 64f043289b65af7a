"""AMD GPU products: LLVM gfx target, architecture, segment, PCI device ids.

One entry per product as AMD's GPU specification tables name it ("MI300X",
"Radeon RX 7900 XTX"), with the LLVM processor (``gfx942``), the KFD
``gfx_target_version`` integer the kernel reports in
``/sys/class/kfd/kfd/topology/nodes/*/properties`` (90402 for gfx942), and
the PCI device ids (vendor 0x1002) that pci.ids attributes to the product.
Used by the AMD probes (naming a device found by PCI id or KFD topology) and
the rules that check a GPU target against the installed ROCm.
"""

from __future__ import annotations

import re
from dataclasses import field

from accelctl.matrices.base import UNSOURCED, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record

SEGMENTS = ("instinct", "radeon-pro", "radeon")
AMD_PCI_VENDOR = "0x1002"

_GFX_RE = re.compile(r"^gfx([0-9]{1,2})([0-9a-f])([0-9a-f])$")
_PCI_RE = re.compile(r"^0x[0-9a-f]{4}$")


@record(frozen=True)
class AmdGpu:
    """One AMD GPU product and how software identifies it."""

    product: str  # "MI300X", "Radeon RX 7900 XTX", "Radeon PRO W7900"
    segment: str  # one of SEGMENTS
    gfx: str  # LLVM processor, "gfx942"
    architecture: str | None = None  # "CDNA3", "RDNA3", "GCN5.1"
    # KFD topology gfx_target_version; null where no kernel source was read for it.
    gfx_target_version: int | None = None
    vram_gib: int | None = None
    # PCI device ids (vendor 0x1002), lower-case "0x74a1"; several products can share one id.
    pci_device_ids: list[str] = field(default_factory=list)
    pci_chip: str | None = None  # chip name pci.ids gives the ids: "Aqua Vanjaram", "Navi 31"
    aliases: list[str] = field(default_factory=list)  # other spellings seen in the sources read
    provenance: Provenance = UNSOURCED


def _check(entries: list[AmdGpu], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        key = _norm_name(e.product)
        if key in seen:
            errors.add(i, "product", f"duplicate product {e.product}")
        seen.add(key)
        if e.segment not in SEGMENTS:
            errors.add(i, "segment", f"must be one of {', '.join(SEGMENTS)}, got {e.segment!r}")
        if not _GFX_RE.match(e.gfx):
            errors.add(i, "gfx", f"not an LLVM gfx target: {e.gfx!r}")
        elif e.gfx_target_version is not None and gfx_target_version(e.gfx) != e.gfx_target_version:
            errors.add(i, "gfx_target_version", f"{e.gfx_target_version} does not encode {e.gfx}")
        for pid in e.pci_device_ids:
            if not _PCI_RE.match(pid):
                errors.add(i, "pci_device_ids", f"expected lower-case '0x' + 4 hex digits, got {pid!r}")


SPEC: MatrixSpec[AmdGpu] = MatrixSpec(name="amd_gpus", entry_type=AmdGpu, check=_check, key=lambda e: e.product)


def parse_gfx_target_version(value: int) -> str:
    """KFD ``gfx_target_version`` -> LLVM processor: 90402 -> "gfx942", 90010 -> "gfx90a".

    The kernel encodes major * 10000 + minor * 100 + stepping; the LLVM name
    writes minor and stepping as one hex digit each (kfd_device.c uses 90010
    for gfx90a and 90012 for gfx90c).
    """
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"not a gfx_target_version: {value!r}")
    major, minor, step = value // 10000, (value // 100) % 100, value % 100
    if minor > 15 or step > 15 or major == 0:
        raise ValueError(f"not a gfx_target_version: {value!r}")
    return f"gfx{major}{minor:x}{step:x}"


def gfx_target_version(gfx: str) -> int:
    """LLVM processor -> KFD ``gfx_target_version``: "gfx1100" -> 110000."""
    m = _GFX_RE.match(base_gfx(gfx))
    if not m:
        raise ValueError(f"not an LLVM gfx target: {gfx!r}")
    return int(m.group(1)) * 10000 + int(m.group(2), 16) * 100 + int(m.group(3), 16)


def parse_hsa_override(value: str) -> str:
    """``HSA_OVERRIDE_GFX_VERSION`` ("10.3.0", "11.0.0") -> the target it claims ("gfx1030")."""
    parts = value.strip().split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not an HSA_OVERRIDE_GFX_VERSION value: {value!r}")
    major, minor, step = (int(p) for p in parts)
    return parse_gfx_target_version(major * 10000 + minor * 100 + step)


def base_gfx(gfx: str) -> str:
    """Strip target features and case: "gfx90a:sramecc+:xnack-" -> "gfx90a"."""
    return gfx.strip().split(":")[0].lower()


def by_gfx(entries: list[AmdGpu], gfx: str) -> list[AmdGpu]:
    """Every product with this LLVM target (features ignored)."""
    want = base_gfx(gfx)
    return [e for e in entries if e.gfx == want]


def by_pci_device_id(entries: list[AmdGpu], device_id: object) -> list[AmdGpu]:
    """Products pci.ids attributes this device id to ("0x74a1", "74A1" or 0x74a1)."""
    want = _norm_pci(device_id)
    if want is None:
        return []
    return [e for e in entries if want in e.pci_device_ids]


def by_name(entries: list[AmdGpu], name: str) -> AmdGpu | None:
    """The product a tool's marketing name refers to.

    Vendor words, trademark signs, "Accelerator" and case are ignored, so
    "AMD Instinct™ MI300X Accelerator" and "AMD Radeon RX 7900 XTX" match.
    """
    want = _norm_name(name)
    for e in entries:
        if want in {_norm_name(n) for n in [e.product, *e.aliases]}:
            return e
    return None


def gfx_for_pci_device_id(entries: list[AmdGpu], device_id: object) -> str | None:
    """The single gfx target of a PCI device id, or None when unknown or ambiguous."""
    targets = {e.gfx for e in by_pci_device_id(entries, device_id)}
    return targets.pop() if len(targets) == 1 else None


def _norm_pci(device_id: object) -> str | None:
    if isinstance(device_id, int) and not isinstance(device_id, bool):
        return f"0x{device_id:04x}" if 0 <= device_id <= 0xFFFF else None
    if not isinstance(device_id, str):
        return None
    text = device_id.strip().lower()
    text = text.removeprefix("0x")
    return f"0x{text}" if re.match(r"^[0-9a-f]{4}$", text) else None


_DROP = re.compile(r"[™®]|\(tm\)|\(r\)")
_WORDS = {"amd", "accelerator", "gpu", "instinct", "radeon"}


def _norm_name(name: str) -> str:
    words = _DROP.sub(" ", name.lower()).replace("-", " ").split()
    return " ".join(w for w in words if w not in _WORDS)
