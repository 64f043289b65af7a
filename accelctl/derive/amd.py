"""AMD GPU product names for PCI device ids, from the amd_gpus matrix.

A name is a nicety: without the matrix a GPU keeps its gfx target and simply has
no product name. A name the driver reported (amdsmi, sysfs ``product_name``) is
never replaced; one taken from the matrix is looked up again on every run.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from accelctl.inventory.amd import AmdGpu

MATRIX_SOURCE = "matrix amd_gpus"


def named_gpus(gpus: list[AmdGpu], entries: list[Any]) -> list[AmdGpu]:
    """``gpus`` with the matrix's product name where the driver gave none (the first product listed for its id)."""
    from accelctl.matrices.subjects.amd_gpus import by_pci_device_id

    out = []
    for g in gpus:
        if g.name and g.name_source != MATRIX_SOURCE:
            out.append(g)
            continue
        hits = by_pci_device_id(entries, g.pci_device_id) if g.pci_device_id else []
        if hits:
            out.append(dataclasses.replace(g, name=hits[0].product, name_source=MATRIX_SOURCE))
        else:
            out.append(dataclasses.replace(g, name=None, name_source="") if g.name else g)
    return out
