"""Derive: what follows from an inventory's observations and the compatibility matrices.

Probes record only what they saw. ``derive`` adds the facts that need the
matrices (a torch build's compiled architectures, the CUDA a jax plugin was
built with, an AMD GPU's product name) and the vendor-neutral accelerator
summary, and each derived fact names its source ("pytorch matrix (...)" against
"fatbin scan"). It runs on every path, a snapshot loaded with ``--from``
included: facts derived from the matrices are derived again, so an old
snapshot is judged with today's knowledge, while observed facts stay as they are.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from accelctl.derive.accelerators import summarize_accelerators
from accelctl.derive.amd import named_gpus
from accelctl.derive.frameworks import derive_environment

if TYPE_CHECKING:
    from accelctl.inventory import Inventory
    from accelctl.matrices import MatrixSet


def derive(inventory: Inventory, matrices: MatrixSet) -> Inventory:
    """``inventory`` with every matrix-based fact (re)derived; the input is not changed."""
    unknowns = list(inventory.unknowns)
    python = [derive_environment(env, matrices, unknowns) for env in inventory.python]
    amd = inventory.amd
    if amd.gpus:
        amd = dataclasses.replace(amd, gpus=named_gpus(amd.gpus, matrices.entries_or_empty("amd_gpus")))
    derived = dataclasses.replace(inventory, python=python, amd=amd, unknowns=unknowns)
    return dataclasses.replace(derived, accelerators=summarize_accelerators(derived))


__all__ = ["derive", "summarize_accelerators"]
