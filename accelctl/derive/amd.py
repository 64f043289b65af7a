"""AMD GPU product names for PCI device ids, from the amd_gpus matrix.

A name is a nicety: without the matrix (or with an entry shape this code does
not know) a GPU keeps its gfx target and simply has no product name. A name
the driver reported (amdsmi, sysfs ``product_name``) is never replaced.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from accelctl.inventory.amd import AmdGpu

MATRIX_SOURCE = "matrix amd_gpus"


def name_table(entries: list[Any]) -> dict[str, str]:
    """PCI device id ("0x740c") -> product name."""
    out: dict[str, str] = {}
    for e in entries:
        ids = _field(e, "device_ids", "pci_device_ids") or []
        one = _field(e, "device_id", "pci_device_id")
        if one:
            ids = [*ids, one] if isinstance(ids, (list, tuple)) else [ids, one]
        name = _field(e, "name", "product", "product_name", "market_name")
        if not isinstance(name, str):
            continue
        for i in ids if isinstance(ids, (list, tuple)) else [ids]:
            key = _norm(i)
            if key:
                out.setdefault(key, name)
    return out


def named_gpus(gpus: list[AmdGpu], entries: list[Any]) -> list[AmdGpu]:
    """``gpus`` with names from the matrix where the driver gave none (earlier matrix names looked up again)."""
    table: dict[str, str] | None = None
    out = []
    for g in gpus:
        if g.name and g.name_source != MATRIX_SOURCE:
            out.append(g)
            continue
        if table is None:
            table = name_table(entries)
        hit = table.get(g.pci_device_id.lower()) if g.pci_device_id else None
        if hit:
            out.append(dataclasses.replace(g, name=hit, name_source=MATRIX_SOURCE))
        else:
            out.append(dataclasses.replace(g, name=None, name_source="") if g.name else g)
    return out


def _field(entry: object, *names: str) -> object:
    for n in names:
        value = entry.get(n) if isinstance(entry, dict) else getattr(entry, n, None)
        if value:
            return value
    return None


def _norm(value: object) -> str | None:
    try:
        number = value if isinstance(value, int) else int(str(value), 16)
    except ValueError:
        return None
    return f"0x{number:04x}"
