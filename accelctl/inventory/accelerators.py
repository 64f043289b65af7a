"""A vendor-neutral line per accelerator, so rules and reports need not know every vendor."""

from __future__ import annotations

from accelctl.record import record
from typing import Optional

from typing import Literal

Vendor = Literal["nvidia", "amd", "intel", "google", "aws", "habana", "other"]


@record
class Accelerator:
    vendor: Vendor
    index: int
    name: str
    kind: str = "gpu"  # gpu | tpu | neuron | hpu
    arch: Optional[str] = None  # sm_90, gfx942, pvc, v5e, trn1 ...
    memory_mib: Optional[int] = None
    driver_version: Optional[str] = None
    pci_bus_id: Optional[str] = None
    source: str = ""
