"""A small PCI sysfs scan shared by the Intel and other-accelerator probes.

/sys/bus/pci/devices/<address>/{vendor,device,class} hold "0x8086"-style hex
text; ``driver`` is a link to the bound driver's folder. Only devices of the
vendors asked for are read beyond their vendor file.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import Any

from accelctl.host.base import HostError
from accelctl.record import record

PCI_DEVICES = "/sys/bus/pci/devices"


@record
class PciDevice:
    address: str  # 0000:29:00.0
    vendor: str  # 0x8086
    device: str  # 0x0bd5
    pci_class: str | None = None  # 0x038000
    driver: str | None = None  # i915, xe, habanalabs ...

    def label(self) -> str:
        return f"{self.address} {self.vendor}:{self.device}"


def _read(host: Any, path: str) -> str | None:
    try:
        return host.read_text(path, 256).strip().lower() or None
    except HostError:
        return None


def scan(host: Any, vendors: Iterable[str]) -> list[PciDevice]:
    wanted = {v.lower() for v in vendors}
    try:
        entries = host.list_dir(PCI_DEVICES)
    except HostError:
        return []
    out = []
    for e in sorted(entries, key=lambda x: x.name):
        base = posixpath.join(PCI_DEVICES, e.name)
        vendor = _read(host, posixpath.join(base, "vendor"))
        if vendor not in wanted:
            continue
        link = host.readlink(posixpath.join(base, "driver"))
        out.append(PciDevice(e.name, vendor, _read(host, posixpath.join(base, "device")) or "",
                             _read(host, posixpath.join(base, "class")), posixpath.basename(link) if link else None))
    return out
