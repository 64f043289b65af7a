"""Intel GPU families by PCI device id.

From the Linux kernel's include/drm/intel/i915_pciids.h and xe_pciids.h
(INTEL_PVC_IDS for Data Center GPU Max, INTEL_ATS_M_IDS for Data Center GPU
Flex, INTEL_DG2_IDS for Arc A-series, INTEL_BMG_IDS for Arc B-series).
"""

from __future__ import annotations

PVC = {0x0BD0, 0x0BD1, 0x0BD2, 0x0BD4, 0x0BD5, 0x0BD6, 0x0BD7, 0x0BD8, 0x0BD9, 0x0BDA, 0x0BDB,
       0x0B69, 0x0B6E, 0x0BE0, 0x0BE1, 0x0BE5}
NAMES = {"pvc": "Intel Data Center GPU Max", "flex": "Intel Data Center GPU Flex", "dg2": "Intel Arc A-series",
         "bmg": "Intel Arc B-series"}
DISPLAY_CLASSES = ("0x0300", "0x0380")  # VGA compatible controller, 3D/display controller


def family(device_id: str) -> str | None:
    try:
        value = int(device_id, 16)
    except ValueError:
        return None
    if value in PVC:
        return "pvc"
    if 0x56C0 <= value <= 0x56CF:
        return "flex"
    if 0x5690 <= value <= 0x56BF:
        return "dg2"
    if 0xE200 <= value <= 0xE21F:
        return "bmg"
    return None


def classify(device_id: str) -> tuple[str | None, str | None]:
    fam = family(device_id)
    return fam, NAMES.get(fam) if fam else None


def is_display(pci_class: str | None) -> bool:
    return bool(pci_class) and pci_class.lower().startswith(DISPLAY_CLASSES)  # type: ignore[union-attr]
