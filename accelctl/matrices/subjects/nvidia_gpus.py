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
# What reads as a PCI device id rather than a name: "0x2330", "2330", "10de:2330".
_PCI_SPELLING_RE = re.compile(r"\s*(0x)?[0-9a-fA-F]{4}\s*|\s*10de:[0-9a-fA-F]{4}\s*", re.IGNORECASE)


@record(frozen=True)
class GpuModel:
    """One NVIDIA GPU model (or board variant)."""

    model: str  # short label, unique: "H100 SXM5 80GB"
    segment: str | None = None  # one of SEGMENTS; null where no source read places it
    cc: str | None = field(default=None, metadata={"kind": CC})  # compute capability "9.0"
    architecture: str | None = None  # "Hopper", "Ampere", ...
    chip: str | None = None  # GPU chip as pci.ids names it: "GH100", "GA102GL"
    nvml_names: list[str] = field(default_factory=list)  # names the driver reports: "NVIDIA H100 80GB HBM3"
    pci_names: list[str] = field(default_factory=list)  # product names pci.ids gives the device: "H100 SXM5 80GB"
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
    n = re.sub(r"\s+rev\.?\s*a$", "", n)  # pci.ids tells board revisions apart; the driver does not
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
    models: set[str] = set()
    names: dict[str, GpuModel] = {}
    ids: dict[str, str] = {}
    for i, e in enumerate(entries):
        if e.model in models:
            errors.add(i, "model", f"duplicate model {e.model!r}")
        models.add(e.model)
        if e.segment is not None and e.segment not in SEGMENTS:
            errors.add(i, "segment", f"must be one of {', '.join(SEGMENTS)}")
        for n in e.nvml_names:
            # The driver gives one name to several device ids (desktop and laptop boards); that is fine as long
            # as no two of them have known, different compute capabilities.
            key = normalize_name(n)
            other = names.get(key)
            if other is not None and other.model != e.model and None not in (other.cc, e.cc) and other.cc != e.cc:
                errors.add(i, "nvml_names", f"{n!r} is also a name of {other.model!r}, of another compute capability")
            names.setdefault(key, e)
        if any(not n.strip() for n in e.pci_names):
            errors.add(i, "pci_names", "names must not be empty")
        for d in e.pci_device_ids:
            if not _PCI_ID_RE.match(d):
                errors.add(i, "pci_device_ids", f"expected a lower-case id like '0x2330', got {d!r}")
                continue
            if d in ids and ids[d] != e.model:
                errors.add(i, "pci_device_ids", f"{d} is also listed for {ids[d]!r}")
            ids[d] = e.model
        if e.last_driver_branch is not None and not re.fullmatch(r"R\d{3}", e.last_driver_branch):
            errors.add(i, "last_driver_branch", f"expected a branch like 'R470', got {e.last_driver_branch!r}")


SPEC: MatrixSpec[GpuModel] = MatrixSpec(name="nvidia_gpus", entry_type=GpuModel, check=_check, key=lambda e: e.model)


def _strip_board(normalized: str) -> str:
    """A normalized name without its board suffix: "a100 sxm4 80gb" -> "a100", "h100 80gb hbm3" -> "h100"."""
    words = normalized.split()
    while len(words) > 1 and re.fullmatch(r"\d+g(b)?|hbm\d*e?|pcie|sxm\d*|fhhl|dgxs", words[-1]):
        words.pop()
    return " ".join(words)


def candidates(entries: list[GpuModel], name: str) -> list[GpuModel]:
    """The models a GPU name may denote, most exact first.

    1. a name the driver reports (``nvml_names``); 2. the entry's label or a name
    pci.ids gives (``pci_names``); 3. the same with board and memory suffixes
    dropped ("Tesla V100-PCIE-16GB" ~ "Tesla V100", "NVIDIA H100 80GB HBM3" ~
    "H100"). Comparison ignores case, an "NVIDIA " prefix, '-' vs ' ', a MIG
    suffix and pci.ids's "Rev. A". Several models may share a name (pci.ids lists
    one per device id); the first tier that matches wins.
    """
    want = normalize_name(name)
    if not want:
        return []
    tier = [e for e in entries if any(normalize_name(n) == want for n in e.nvml_names)]
    if tier:
        return tier
    tier = [e for e in entries if normalize_name(e.model) == want or any(normalize_name(n) == want for n in e.pci_names)]
    if tier:
        return tier
    base = _strip_board(want)
    return [e for e in entries if any(_strip_board(normalize_name(n)) == base for n in [*e.nvml_names, e.model, *e.pci_names])]


def by_name(entries: list[GpuModel], nvml_name: str) -> GpuModel | None:
    """The model whose name matches ``nvml_name`` (the first of ``candidates``), or None.

    No fuzzy guessing: a prefix of a name ("NVIDIA H10") matches nothing.
    """
    found = candidates(entries, nvml_name)
    return found[0] if found else None


def by_pci_device_id(entries: list[GpuModel], device_id: str | int) -> GpuModel | None:
    """The model with PCI device id ``device_id`` ("0x2330", "2330", "10de:2330", 0x2330)."""
    want = normalize_pci_id(device_id)
    if want is None:
        return None
    return next((e for e in entries if want in e.pci_device_ids), None)


def cc_for_pci_id(entries: list[GpuModel], device_id: str | int) -> str | None:
    """Compute capability of the GPU with PCI device id ``device_id`` (vendor 0x10de); None if unknown.

    For a GPU whose reported name is not in the matrix: the device id (NVML's
    ``pciDeviceId``, lspci's ``10de:2b85``) still names the chip, and the chip the
    compute capability.
    """
    e = by_pci_device_id(entries, device_id)
    return e.cc if e is not None else None


def cc_of(entries: list[GpuModel], gpu: str | int) -> str | None:
    """Compute capability of a GPU named by driver name or by PCI device id; None if unknown.

    A string that reads as a PCI id ("0x2330", "10de:2330") is looked up as one;
    anything else as a name.
    """
    if isinstance(gpu, int) or _PCI_SPELLING_RE.fullmatch(gpu):
        cc = cc_for_pci_id(entries, gpu)
        if cc is not None or isinstance(gpu, int):
            return cc
    return _one_cc(candidates(entries, gpu))


def _one_cc(models: list[GpuModel]) -> str | None:
    """The compute capability every one of the models has; None when they differ or one is unknown.

    pci.ids gives one marketing name to boards on different chips ("GeForce GT 1030" is
    a GK107 and a GP108 device): a name is only as good as its least-known reading.
    """
    ccs = {e.cc for e in models}
    return ccs.pop() if len(ccs) == 1 else None


def compat_segment(entry: GpuModel) -> str | None:
    """The entry's segment in the vocabulary of ``cuda_forward_compat`` (geforce, jetson, ...)."""
    return _COMPAT_SEGMENT.get(entry.segment) if entry.segment else None


def models_with_cc(entries: list[GpuModel], cc: str) -> list[GpuModel]:
    """Every model of compute capability ``cc`` (suffixes like "9.0a" ignored)."""
    want = cc_key(cc)
    return [e for e in entries if e.cc is not None and cc_key(e.cc) == want]


def cc_for_name(entries: list[GpuModel], name: str) -> str | None:
    """Compute capability for a GPU name as nvidia-smi prints it or people type it ("RTX 5090", "H100").

    The models ``candidates`` finds, when they agree; otherwise every model whose
    names end with, start with or contain the typed words, and only when they all
    share one compute capability (all H100 variants are 9.0; "RTX" alone is
    ambiguous and gives None).
    """
    if _PCI_SPELLING_RE.fullmatch(name):
        by_id = cc_for_pci_id(entries, name)
        if by_id is not None:
            return by_id
    found = candidates(entries, name)
    if found:
        return _one_cc(found)
    want = normalize_name(name)
    if not want:
        return None
    return _one_cc([e for e in entries
                    if any(n == want or n.endswith(" " + want) or n.startswith(want + " ") or f" {want} " in f" {n} "
                           for n in [normalize_name(x) for x in [*e.nvml_names, e.model, *e.pci_names]])])
