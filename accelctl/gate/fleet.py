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
    problems: list[str] = []
    if not fleet.classes:
        problems.append("field 'classes': at least one node class is needed")
    seen = set()
    for i, c in enumerate(fleet.classes):
        where = f"classes[{i}] ({c.name})"
        if c.name in seen:
            problems.append(f"{where}: field 'name': duplicate class name")
        seen.add(c.name)
        problems.extend(f"{where}: {p}" for p in value_problems(c))
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


# Version strings as vendors write them: NVIDIA driver 535.104.05 (or 470.256), CUDA 12.4, ROCm 6.2.4.
_VALUE_SHAPES: dict[str, tuple[str, str]] = {
    "compute_capability": (r"\d{1,2}\.\d{1,2}", 'major.minor, e.g. "9.0"'),
    "gfx_target": (r"gfx[0-9a-f]{3,4}", 'an AMD gfx target, e.g. "gfx942"'),
    "cuda_driver": (r"\d{1,2}\.\d{1,2}", 'a CUDA version, e.g. "12.4"'),
    "rocm": (r"\d{1,2}\.\d{1,2}(\.\d{1,3})?", 'a ROCm version, e.g. "6.2"'),
    "oneapi": (r"\d{4}\.\d{1,2}(\.\d{1,3}){0,2}", 'a oneAPI version, e.g. "2025.0"'),
}
_NVIDIA_DRIVER = r"\d{3}\.\d{1,3}(\.\d{1,3})?"
_OTHER_DRIVER = r"\d{1,4}(\.\d{1,6}){1,3}([-+~][0-9A-Za-z.]{1,40})?"
MAX_FLEET_BYTES = 1 << 20


def value_problems(c: NodeClass) -> list[str]:
    """Values of a class that cannot be what their field says (a garbage driver, compute capability "nine")."""
    import re

    problems = []
    if not c.name.strip():
        problems.append("field 'name': must not be empty")
    shapes = dict(_VALUE_SHAPES, driver=(_NVIDIA_DRIVER, 'an NVIDIA driver version, e.g. "550.54.15"')
                  if c.vendor == "nvidia" else (_OTHER_DRIVER, 'a driver version, e.g. "6.8.5"'))
    for name, (pattern, what) in shapes.items():
        value = getattr(c, name)
        if value is not None and not re.fullmatch(pattern, value.strip()):
            problems.append(f"field '{name}': {value!r:.60} is not {what}")
    if c.count is not None and c.count < 1:
        problems.append(f"field 'count': {c.count} is not a positive number of nodes")
    if c.snapshot is not None and not c.snapshot.strip():
        problems.append("field 'snapshot': must not be empty")
    return problems


def load_fleet(path: str) -> Fleet:
    """Read a fleet spec: a regular file of bounded size, YAML without aliases or duplicate keys."""
    from accelctl.bounded import InputFileError, load_yaml_file

    try:
        raw = load_yaml_file(path, MAX_FLEET_BYTES, "fleet spec")
    except InputFileError as exc:
        raise FleetError(str(exc)) from None
    return parse_fleet(raw, path)
