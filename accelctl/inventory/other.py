"""TPUs, AWS Neuron devices and Intel Gaudi: detection plus versions."""

from __future__ import annotations

from dataclasses import field

from accelctl.record import record


@record
class OtherAccelerator:
    vendor: str  # google | aws | habana
    kind: str  # tpu | neuron | hpu
    devices: list[str] = field(default_factory=list)  # device nodes seen
    model: str | None = None  # v4, v5e, trn1, inf2, gaudi2 ...
    driver_version: str | None = None
    runtime_versions: dict[str, str] = field(default_factory=dict)
    source: str = ""
    pci_devices: list[str] = field(default_factory=list)  # "0000:00:04.0 0x1ae0:0x005e"
    driver_source: str = ""
    model_source: str = ""
