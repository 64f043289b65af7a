"""Product names for PCI device ids, from the amd_gpus matrix when it is there.

The matrix is optional here: without it (or with a shape this code does not
know) a GPU keeps its gfx target and simply has no product name.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_table: dict[str, str] | None = None


def _load() -> dict[str, str]:
    try:
        from accelctl.matrices import load

        entries = load("amd_gpus").entries
    except Exception:  # absent, being written, or invalid: names are a nicety, never a failure
        return {}
    out: dict[str, str] = {}
    for e in entries:
        ids = _field(e, "device_ids", "pci_device_ids") or []
        one = _field(e, "device_id", "pci_device_id")
        if one:
            ids = list(ids) + [one]
        name = _field(e, "name", "product", "product_name", "market_name")
        if not isinstance(name, str):
            continue
        for i in ids if isinstance(ids, (list, tuple)) else [ids]:
            key = _norm(i)
            if key:
                out.setdefault(key, name)
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


def table() -> dict[str, str]:
    global _table
    with _lock:
        if _table is None:
            _table = _load()
        return _table


def lookup(device_id: str | None, gfx_target: str | None = None) -> str | None:
    if not device_id:
        return None
    return table().get(device_id.lower())
