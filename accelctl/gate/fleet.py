"""Fleet specs: the node classes an image must run on, validated with clear errors.

A fleet file (YAML)::

    fleet: 1
    name: production
    classes:
      - name: h100-r550
        vendor: nvidia
        gpu: NVIDIA H100 80GB HBM3      # or compute_capability: "9.0"
        driver: "550.54.15"
        required: true
      - name: mi300x
        vendor: amd
        gpu: AMD Instinct MI300X         # or gfx_target: gfx942
        rocm: "6.2"
        required: false
      - name: lab-node
        snapshot: nodes/lab.json         # `accelctl doctor --snapshot` of a real node
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

from accelctl.serde import SchemaError, from_data

FLEET_FORMAT = 1
VendorName = Literal["nvidia", "amd", "intel", "google", "aws", "habana", "cpu"]


@dataclass(frozen=True)
class NodeClass:
    name: str
    vendor: VendorName | None = None  # required unless a snapshot stands for the class
    required: bool = True
    gpu: str | None = None  # model name as the vendor tool reports it
    compute_capability: str | None = None  # NVIDIA, e.g. "9.0"
    gfx_target: str | None = None  # AMD, e.g. "gfx942"
    driver: str | None = None  # NVIDIA driver or amdgpu driver version
    cuda_driver: str | None = None  # highest CUDA the driver supports, if you know it
    rocm: str | None = None
    oneapi: str | None = None
    os: str | None = None  # e.g. ubuntu22.04 (informational)
    count: int | None = None
    snapshot: str | None = None  # path, relative to the fleet file
    description: str = ""


@dataclass(frozen=True)
class Fleet:
    classes: list[NodeClass]
    fleet: int = FLEET_FORMAT
    name: str = ""
    path: str = field(default="", compare=False)


class FleetError(ValueError):
    """A fleet spec is unusable; the message names file, class and field."""


def parse_fleet(raw: Any, path: str) -> Fleet:
    if not isinstance(raw, dict):
        raise FleetError(f"{path}: a fleet spec is a mapping with 'fleet: 1' and 'classes'")
    if raw.get("fleet") != FLEET_FORMAT:
        raise FleetError(f"{path}: field 'fleet': must be {FLEET_FORMAT} (the fleet file format), got {raw.get('fleet')!r}")
    try:
        fleet = from_data(Fleet, raw, skip=("path",))
    except SchemaError as exc:
        raise FleetError(f"{path}: field '{exc.path}': {exc.message}") from None
    problems = []
    if not fleet.classes:
        problems.append("field 'classes': at least one node class is needed")
    seen = set()
    for i, c in enumerate(fleet.classes):
        where = f"classes[{i}] ({c.name})"
        if c.name in seen:
            problems.append(f"{where}: field 'name': duplicate class name")
        seen.add(c.name)
        if c.snapshot:
            continue
        if c.vendor is None:
            problems.append(f"{where}: field 'vendor': needed unless 'snapshot' is given")
        elif c.vendor == "nvidia":
            if not c.driver:
                problems.append(f"{where}: field 'driver': an NVIDIA class needs its driver version")
            if not (c.gpu or c.compute_capability):
                problems.append(f"{where}: field 'gpu': give the GPU model or 'compute_capability'")
        elif c.vendor == "amd" and not (c.gpu or c.gfx_target):
            problems.append(f"{where}: field 'gpu': give the GPU model or 'gfx_target'")
    if problems:
        raise FleetError("; ".join(f"{path}: {p}" for p in problems))
    import dataclasses

    base = os.path.dirname(os.path.abspath(path))
    classes = [dataclasses.replace(c, snapshot=os.path.join(base, c.snapshot)) if c.snapshot and not os.path.isabs(c.snapshot) else c
               for c in fleet.classes]
    return dataclasses.replace(fleet, classes=classes, path=path)


def load_fleet(path: str) -> Fleet:
    import yaml

    try:
        with open(path, "rb") as fh:
            raw = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise FleetError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise FleetError(f"{path}: not valid YAML: {exc}") from None
    return parse_fleet(raw, path)
