"""NVIDIA GPU models: compute capability, architecture, PCI device ids, segment, NVML names.

One entry per GPU model (or per board variant where the driver reports a
different name or PCI device id, e.g. A100 PCIe vs SXM4). ``nvml_names`` are
the product names the NVIDIA driver reports (``nvidia-smi --query-gpu=name``,
``nvmlDeviceGetName``), taken from the driver's own tables; ``pci_device_ids``
are PCI device ids under vendor 0x10de. ``segment`` is the market segment
(datacenter / workstation / consumer / embedded) that decides, among other
things, whether CUDA forward compatibility (cuda-compat) may be used; see
``compat_segment`` for the names ``cuda_forward_compat`` uses.

Used by the probe and the architecture / forward-compatibility rules to turn
what the node reports (a name or a PCI id) into a compute capability.
"""

from __future__ import annotations

import re
from dataclasses import field

from accelctl.matrices.base import CC, UNSOURCED, ErrorSink, MatrixSpec, Provenance, cc_key
from accelctl.record import record

SEGMENTS = ("datacenter", "workstation", "consumer", "embedded")
# This matrix's segment -> the segment names of cuda_forward_compat.SEGMENTS.
_COMPAT_SEGMENT = {"datacenter": "datacenter", "workstation": "workstation", "consumer": "geforce", "embedded": "jetson"}

_PCI_ID_RE = re.compile(r"^0x[0-9a-f]{4}$")


@record(frozen=True)
class GpuModel:
    """One NVIDIA GPU model (or board variant)."""

    model: str  # short label, unique: "H100 SXM5 80GB"
    segment: str | None = None  # one of SEGMENTS; null where no source read places it
    cc: str | None = field(default=None, metadata={"kind": CC})  # compute capability "9.0"
    architecture: str | None = None  # "Hopper", "Ampere", ...
    chip: str | None = None  # GPU chip as pci.ids names it: "GH100", "GA102GL"
    nvml_names: list[str] = field(default_factory=list)  # names the driver reports: "NVIDIA H100 80GB HBM3"
    pci_device_ids: list[str] = field(default_factory=list)  # "0x2330" (lower case, vendor 0x10de)
    # Last driver branch that supports the GPU ("R470" for Kepler), where NVIDIA has ended support.
    last_driver_branch: str | None = None
    provenance: Provenance = UNSOURCED


def normalize_name(name: str) -> str:
    """A GPU name reduced for comparison: case, "NVIDIA " prefix, '-'/'_' vs space, MIG suffix.

    "NVIDIA A100-SXM4-40GB MIG 1g.5gb" -> "a100 sxm4 40gb"; "Tesla T4" -> "tesla t4".
    """
    n = name.strip().lower()
    n = re.sub(r"\s+mig\s+\S+$", "", n)  # MIG device names: "<gpu> MIG 1g.5gb"
    n = re.sub(r"^nvidia\s+", "", n)
    n = re.sub(r"[-_\s]+", " ", n)
    return n.strip()


def normalize_pci_id(device_id: str | int) -> str | None:
    """"0x2330", "2330", "10de:2330", "0x10DE2330"... or 0x2330 -> "0x2330"; None if not a device id."""
    if isinstance(device_id, int):
        return f"0x{device_id:04x}" if 0 <= device_id <= 0xFFFF else None
    s = device_id.strip().lower()
    if ":" in s:  # "10de:2330" (lspci -n style): vendor:device
        vendor, _, s = s.partition(":")
        if vendor.replace("0x", "") != "10de":
            return None
    s = s.removeprefix("0x")
    if len(s) == 8 and s.endswith("10de"):  # NVML pciDeviceId: 0x233010DE (device << 16 | vendor)
        s = s[:4]
    if not re.fullmatch(r"[0-9a-f]{4}", s):
        return None
    return "0x" + s


def _check(entries: list[GpuModel], errors: ErrorSink) -> None:
    models = set()
    names = {}
    ids = {}
    for i, e in enumerate(entries):
        if e.model in models:
            errors.add(i, "model", f"duplicate model {e.model!r}")
        models.add(e.model)
        if e.segment is not None and e.segment not in SEGMENTS:
            errors.add(i, "segment", f"must be one of {', '.join(SEGMENTS)}")
        for n in e.nvml_names:
            key = normalize_name(n)
            if key in names and names[key] != e.model:
                errors.add(i, "nvml_names", f"{n!r} is also a name of {names[key]!r}")
            names[key] = e.model
        for d in e.pci_device_ids:
            if not _PCI_ID_RE.match(d):
                errors.add(i, "pci_device_ids", f"expected a lower-case id like '0x2330', got {d!r}")
                continue
            if d in ids and ids[d] != e.model:
                errors.add(i, "pci_device_ids", f"{d} is also listed for {ids[d]!r}")
            ids[d] = e.model
        if e.last_driver_branch is not None and not re.fullmatch(r"R\d{3}", e.last_driver_branch):
            errors.add(i, "last_driver_branch", f"expected a branch like 'R470', got {e.last_driver_branch!r}")


SPEC = MatrixSpec(name="nvidia_gpus", entry_type=GpuModel, check=_check, key=lambda e: e.model)


def by_name(entries: list[GpuModel], nvml_name: str) -> GpuModel | None:
    """The model whose driver-reported name matches ``nvml_name``.

    Tolerates case, a missing or extra "NVIDIA " prefix, '-' vs ' ' and a MIG
    suffix ("NVIDIA A100-SXM4-40GB MIG 1g.5gb"). Falls back to the entry's
    ``model`` label. None when nothing matches exactly (no fuzzy guessing).
    """
    want = normalize_name(nvml_name)
    if not want:
        return None
    for e in entries:
        if any(normalize_name(n) == want for n in e.nvml_names):
            return e
    for e in entries:
        if normalize_name(e.model) == want:
            return e
    return None


def by_pci_device_id(entries: list[GpuModel], device_id: str | int) -> GpuModel | None:
    """The model with PCI device id ``device_id`` ("0x2330", "2330", "10de:2330", 0x2330)."""
    want = normalize_pci_id(device_id)
    if want is None:
        return None
    return next((e for e in entries if want in e.pci_device_ids), None)


def cc_of(entries: list[GpuModel], gpu: str | int) -> str | None:
    """Compute capability of a GPU named by driver name or by PCI device id; None if unknown.

    A string that reads as a PCI id ("0x2330", "10de:2330") is looked up as one;
    anything else as a name.
    """
    e: GpuModel | None = None
    if isinstance(gpu, int) or (isinstance(gpu, str) and re.fullmatch(r"\s*(0x)?[0-9a-fA-F]{4}\s*|\s*10de:[0-9a-fA-F]{4}\s*", gpu)):
        e = by_pci_device_id(entries, gpu)
    if e is None and isinstance(gpu, str):
        e = by_name(entries, gpu)
    return e.cc if e is not None else None


def compat_segment(entry: GpuModel) -> str | None:
    """The entry's segment in the vocabulary of ``cuda_forward_compat`` (geforce, jetson, ...)."""
    return _COMPAT_SEGMENT.get(entry.segment) if entry.segment else None


def models_with_cc(entries: list[GpuModel], cc: str) -> list[GpuModel]:
    """Every model of compute capability ``cc`` (suffixes like "9.0a" ignored)."""
    want = cc_key(cc)
    return [e for e in entries if e.cc is not None and cc_key(e.cc) == want]


def cc_for_name(entries: list[GpuModel], name: str) -> str | None:
    """Compute capability for a GPU name as people type it ("RTX 5090", "H100", "A100-SXM4-80GB").

    An exact ``by_name`` match first; otherwise every model whose names end with the
    typed words, and only when they all share one compute capability (all H100
    variants are 9.0; "RTX" alone is ambiguous and gives None).
    """
    exact = by_name(entries, name)
    if exact is not None:
        return exact.cc
    want = normalize_name(name)
    if not want:
        return None
    ccs = {e.cc for e in entries
           if any(n == want or n.endswith(" " + want) or n.startswith(want + " ") or f" {want} " in f" {n} "
                  for n in [normalize_name(x) for x in [*e.nvml_names, e.model]])}
    ccs.discard(None)
    return ccs.pop() if len(ccs) == 1 else None
