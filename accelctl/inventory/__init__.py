"""The Inventory: everything accelctl learned about one machine, as one versioned document.

Rules see nothing else, which is why ``doctor --from SNAPSHOT`` gives the same
findings as on the machine the snapshot came from.
"""

from __future__ import annotations

from accelctl.inventory.common import SnapshotError
from accelctl.inventory.document import SCHEMA_VERSION, Inventory, inventory_from_data, load_snapshot

__all__ = ["SCHEMA_VERSION", "Inventory", "SnapshotError", "inventory_from_data", "load_snapshot"]
