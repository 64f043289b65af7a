"""The Inventory: everything accelctl learned about one machine, as one versioned document.

Rules see nothing else, which is why ``doctor --from SNAPSHOT`` gives the same
findings as on the machine the snapshot came from. The document and its loader
live in ``document.py`` and are imported on first use: a live doctor reaches
its first probe with only the shared records of ``common.py`` imported.
"""

from __future__ import annotations

from typing import Any

from accelctl.inventory.common import SnapshotError

_DOCUMENT = ("Inventory", "SCHEMA_VERSION", "inventory_from_data", "load_snapshot")


def __getattr__(name: str) -> Any:
    if name in _DOCUMENT:
        from accelctl.inventory import document

        return getattr(document, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["SCHEMA_VERSION", "Inventory", "SnapshotError", "inventory_from_data", "load_snapshot"]
