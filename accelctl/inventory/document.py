"""The Inventory document: everything accelctl learned about one machine, versioned (``accelctl.inventory``).

Rules see nothing else, which is why ``doctor --from SNAPSHOT`` gives the same
findings as on the machine the snapshot came from.

The inventory, findings and probe records are plain (not frozen) dataclasses:
frozen ones cost about a millisecond each to create at import, some 40 ms per
`doctor` run. They are still treated as values: code changes them only through
``dataclasses.replace``.
"""

from __future__ import annotations

import json
from dataclasses import field
from typing import Any

from accelctl.inventory.accelerators import Accelerator
from accelctl.inventory.amd import AmdInfo
from accelctl.inventory.common import ProbeRun, SnapshotError, Unknown
from accelctl.inventory.fabric import FabricInfo
from accelctl.inventory.intel import IntelInfo
from accelctl.inventory.nvidia import NvidiaInfo
from accelctl.inventory.other import OtherAccelerator
from accelctl.inventory.python_env import PythonEnvironment
from accelctl.inventory.system import ContainerInfo, OsInfo
from accelctl.record import record
from accelctl.serde import SchemaError, from_data, to_data

SCHEMA_VERSION = 1


@record
class Inventory:
    schema_version: int = SCHEMA_VERSION
    accelctl_version: str = ""
    created: str = ""  # ISO timestamp (UTC)
    host: str = ""  # what was inspected: this machine, rootfs DIR, fixture NAME
    mode: str = "live"  # live | rootfs | fixture | assumed
    os: OsInfo = field(default_factory=OsInfo)
    container: ContainerInfo = field(default_factory=ContainerInfo)
    python: list[PythonEnvironment] = field(default_factory=list)
    accelerators: list[Accelerator] = field(default_factory=list)
    nvidia: NvidiaInfo = field(default_factory=NvidiaInfo)
    amd: AmdInfo = field(default_factory=AmdInfo)
    intel: IntelInfo = field(default_factory=IntelInfo)
    other_accelerators: list[OtherAccelerator] = field(default_factory=list)
    fabric: FabricInfo = field(default_factory=FabricInfo)
    env: dict[str, str] = field(default_factory=dict)  # the environment variables that matter
    unknowns: list[Unknown] = field(default_factory=list)
    probes: list[ProbeRun] = field(default_factory=list)

    def to_data(self) -> dict[str, Any]:
        return to_data(self)

    def to_json(self, indent: int | None = 2) -> str:
        if indent == 2:
            from accelctl.jsontext import dumps_indent2

            return dumps_indent2(self.to_data())
        return json.dumps(self.to_data(), indent=indent, sort_keys=False)


def inventory_from_data(data: Any, origin: str = "snapshot") -> Inventory:
    if not isinstance(data, dict):
        raise SnapshotError(f"{origin}: not an inventory (expected a JSON object)")
    if "inventory" in data and "schema_version" not in data:  # a full `doctor --json` report
        data = data["inventory"]
        if not isinstance(data, dict):
            raise SnapshotError(f"{origin}: field 'inventory' is not an object")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SnapshotError(f"{origin}: field 'schema_version' is missing or not an integer")
    if version > SCHEMA_VERSION:
        raise SnapshotError(
            f"{origin}: snapshot schema version {version} is newer than this accelctl understands "
            f"({SCHEMA_VERSION}); upgrade accelctl"
        )
    if version < 1:
        raise SnapshotError(f"{origin}: snapshot schema version {version} is not valid")
    try:
        return from_data(Inventory, data)
    except SchemaError as exc:
        raise SnapshotError(f"{origin}: field '{exc.path}': {exc.message}") from None


# A real node's snapshot is tens of kilobytes; a full `doctor --json` report with hundreds of
# distributions stays well under this.
MAX_SNAPSHOT_BYTES = 64 << 20


def load_snapshot(path: str) -> Inventory:
    """Read a snapshot written by ``doctor --snapshot`` (or a ``--json`` report).

    Only a regular file of bounded size is read (a FIFO or ``/dev/zero`` is refused), as
    JSON with limits on nesting and number length; every problem is a SnapshotError naming
    the file.
    """
    from accelctl.bounded import load_json_file

    data = load_json_file(path, MAX_SNAPSHOT_BYTES, "snapshot")
    return inventory_from_data(data, path)


__all__ = ["SCHEMA_VERSION", "Inventory", "SnapshotError", "inventory_from_data", "load_snapshot"]
