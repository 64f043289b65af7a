"""No fixture host or recorded snapshot says "no problems found" while a deciding fact is unknown.

The unknown facts are listed here independently of the rules (what a check on this node would need
to decide), so a rule that silently passes on an unknown fact makes this test fail. Each machine is
also checked with deciding facts knocked out (the driver version, the GPUs' compute capability),
which must turn the verdict into "undecided", never "no problems found".
"""

from __future__ import annotations

import dataclasses

import pytest

from accelctl.doctor import Diagnosis, Source, diagnose, gather
from accelctl.inventory import Inventory, load_snapshot
from accelctl.matrices import MatrixSet
from accelctl.report.model import headline
from tests.conftest import FIXTURES, REPO

HOSTS = sorted(p for p in (FIXTURES / "hosts").iterdir() if (p / "host.json").exists())
SNAPSHOTS = sorted(REPO.glob("bench/node-*/doctor.json")) + sorted(FIXTURES.glob("snapshots/*.json"))


def unknown_deciding_facts(inv: Inventory, matrices: MatrixSet) -> list[str]:
    """Facts some applicable check needs that this inventory does not have."""
    from accelctl.matrices.subjects.pytorch import resolve_installed

    missing: list[str] = []
    nv = inv.nvidia
    if nv.gpus:
        d = nv.driver
        if not (d and (d.version or d.kernel_module_version)):
            missing.append("NVIDIA driver version")
        missing += [f"compute capability of GPU {g.index}" for g in nv.gpus if not g.compute_capability]
    builds = matrices.entries_or_empty("pytorch")
    for env in inv.python:
        for fw in env.frameworks:
            if fw.runtime_kind != "cuda" or not nv.gpus:
                continue
            if not fw.runtime_version:
                missing.append(f"CUDA version of {fw.name}")
            platform = inv.os.arch if inv.os.arch in ("x86_64", "aarch64") else "x86_64"
            if fw.name == "torch" and not fw.compiled_archs and resolve_installed(builds, fw.version, platform) is None:
                missing.append(f"compiled architectures of torch {fw.version}")
    if "CUDA_VISIBLE_DEVICES" in inv.env and (nv.present or nv.driver) and not nv.gpus:
        missing.append("the NVIDIA GPUs CUDA_VISIBLE_DEVICES selects from")
    missing += [f"gfx target of AMD GPU {g.index}" for g in inv.amd.gpus if not g.gfx_target]
    return missing


def inventories() -> list[tuple[str, Inventory]]:
    found = [(f"host {p.name}", gather(Source(fixture=str(p)))) for p in HOSTS]
    found += [(f"snapshot {p.relative_to(REPO)}", load_snapshot(str(p))) for p in SNAPSHOTS]
    return found


def knocked_out(inv: Inventory) -> list[tuple[str, Inventory]]:
    """The same machine with one deciding fact unknown (only where the machine has that fact to lose)."""
    nv = inv.nvidia
    if not nv.gpus:
        return []
    no_cc = [dataclasses.replace(g, compute_capability=None, name="NVIDIA GPU unknown to the matrices",
                                 pci_device_id=None) for g in nv.gpus]
    no_driver = None
    if nv.driver is not None:
        no_driver = dataclasses.replace(nv.driver, version=None, kernel_module_version=None, libcuda_version=None)
    variants = [("no compute capability", dataclasses.replace(inv, nvidia=dataclasses.replace(nv, gpus=no_cc)))]
    variants.append(("no driver version", dataclasses.replace(inv, nvidia=dataclasses.replace(nv, driver=no_driver))))
    return variants


CASES = inventories()


def test_the_walk_covers_every_fixture_host_and_snapshot():
    assert len(CASES) == len(HOSTS) + len(SNAPSHOTS) and len(HOSTS) >= 9 and SNAPSHOTS


@pytest.mark.parametrize("name, inv", CASES, ids=[n for n, _ in CASES])
def test_no_problems_only_when_every_deciding_fact_is_known(name, inv):
    matrices = MatrixSet()
    for label, variant in [("as recorded", inv), *knocked_out(inv)]:
        report = diagnose(variant, Diagnosis(), matrices)
        missing = unknown_deciding_facts(variant, matrices)
        line = headline(report.summary)
        if missing:
            assert report.undecided, f"{name} ({label}): {missing} unknown, yet every check passed: {line}"
            assert not line.startswith("no problems found —"), f"{name} ({label}): {line}"
        if line.startswith("no problems found —"):
            assert missing == [] and report.undecided == [], f"{name} ({label})"
