"""AWS Neuron SDK releases: the PyTorch, compiler and driver versions each one ships.

One entry per Neuron SDK release (2.x), read from the SDK's release manifest
(``n2-manifest.json`` in aws-neuron/aws-neuron-sdk, which drives the
"Release Content" page): the torch-neuronx builds and the torch release each
targets, the torch-xla / libtorch_neuronx_lite builds of the newer native
stack, neuronx-cc, the Neuron kernel driver (aws-neuronx-dkms), the runtime
library and the instance families they support. Used by the Trainium /
Inferentia rules: driver vs SDK, torch vs torch-neuronx.
"""

from __future__ import annotations

import re
from dataclasses import field

from packaging.version import InvalidVersion, Version

from accelctl.matrices.base import DRIVER, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record


@record(frozen=True)
class NeuronRelease:
    """One Neuron SDK release and the component versions it ships."""

    neuron: str = field(metadata={"kind": VERSION})  # "2.28.1"
    torch_neuronx: list[str] = field(default_factory=list)  # "2.8.0.2.12.22436"
    torch: list[str] = field(default_factory=list)  # torch releases targeted: "2.8.0"
    torch_xla: list[str] = field(default_factory=list)  # torch-xla builds listed by the manifest (native stack)
    libtorch_neuronx_lite: list[str] = field(default_factory=list)
    neuronx_cc: str | None = field(default=None, metadata={"kind": DRIVER})  # "2.23.6484.0"
    neuron_driver: str | None = field(default=None, metadata={"kind": DRIVER})  # aws-neuronx-dkms "2.26.10.0"
    runtime_lib: str | None = field(default=None, metadata={"kind": DRIVER})  # aws-neuronx-runtime-lib
    jax_neuronx: str | None = None
    instances: list[str] = field(default_factory=list)  # instance families neuronx-cc supports: "trn1", "inf2"...
    python: list[str] = field(default_factory=list)  # Python versions of the neuronx-cc wheels
    provenance: Provenance = UNSOURCED


def _check(entries: list[NeuronRelease], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        if e.neuron in seen:
            errors.add(i, "neuron", f"duplicate release {e.neuron}")
        seen.add(e.neuron)
        for n in e.torch_neuronx:
            t = torch_of_torch_neuronx(n)
            if t is None:
                errors.add(i, "torch_neuronx", f"cannot read the torch release from {n!r}")
            elif t not in e.torch:
                errors.add(i, "torch", f"{n} targets torch {t}, missing from torch")


SPEC: MatrixSpec[NeuronRelease] = MatrixSpec(name="neuron", entry_type=NeuronRelease, check=_check, key=lambda e: e.neuron)


def torch_of_torch_neuronx(version: str) -> str | None:
    """The torch release a torch-neuronx build targets: "2.8.0.2.12.22436" -> "2.8.0"."""
    m = re.match(r"^(\d+\.\d+\.\d+)\.\d+\.\d+", version.strip())
    return m.group(1) if m else None


def find(entries: list[NeuronRelease], neuron: str) -> NeuronRelease | None:
    try:
        want = Version(neuron)
    except InvalidVersion:
        return None
    return next((e for e in entries if Version(e.neuron) == want), None)


def releases_with_torch_neuronx(entries: list[NeuronRelease], torch_neuronx: str) -> list[str]:
    """Neuron SDK releases that ship this exact torch-neuronx build, oldest first."""
    hits = [e.neuron for e in entries if torch_neuronx.strip() in e.torch_neuronx]
    return sorted(hits, key=Version)


def torch_supported(entries: list[NeuronRelease], neuron: str, torch_version: str) -> bool | None:
    """Does the SDK release ship a torch-neuronx (or torch-xla) build for this torch "major.minor"."""
    e = find(entries, neuron)
    if e is None:
        return None
    try:
        v = Version(Version(torch_version).public)
    except InvalidVersion:
        return None
    targets = list(e.torch) + list(e.torch_xla)
    if not targets:
        return None
    return any(Version(t).release[:2] == v.release[:2] for t in targets)


def driver_for(entries: list[NeuronRelease], neuron: str) -> str | None:
    """The aws-neuronx-dkms version the SDK release ships."""
    e = find(entries, neuron)
    return e.neuron_driver if e else None
