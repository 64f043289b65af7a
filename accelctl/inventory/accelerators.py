"""A vendor-neutral line per accelerator, so rules and reports need not know every vendor."""

from __future__ import annotations

from typing import Literal

from accelctl.record import record

Vendor = Literal["nvidia", "amd", "intel", "google", "aws", "habana", "other"]


@record
class Accelerator:
    vendor: Vendor
    index: int
    name: str
    kind: str = "gpu"  # gpu | tpu | neuron | hpu
    arch: str | None = None  # sm_90, gfx942, pvc, v5e, trn1 ...
    memory_mib: int | None = None
    driver_version: str | None = None
    pci_bus_id: str | None = None
    source: str = ""
