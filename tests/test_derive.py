"""derive: matrix-based facts are added on every path, a snapshot's included, and only there."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from accelctl import doctor
from accelctl.derive import derive
from accelctl.matrices import MatrixSet
from tests.conftest import FIXTURES, REPO

NODE = FIXTURES / "hosts" / "h100-node"


def _torch(inventory):
    return next(f for f in inventory.python[0].frameworks if f.name == "torch")


def _with_torch(inventory, **changes):
    env = inventory.python[0]
    frameworks = [dataclasses.replace(f, **changes) if f.name == "torch" else f for f in env.frameworks]
    return dataclasses.replace(inventory, python=[dataclasses.replace(env, frameworks=frameworks)])


def test_an_old_snapshot_gets_todays_compiled_archs(tmp_path):
    today = doctor.gather(doctor.Source(fixture=str(NODE)))
    assert _torch(today).archs_source.startswith("pytorch matrix")
    stale = _with_torch(today, compiled_archs=["sm_50"], compiled_ptx=[], archs_source="pytorch matrix (old)")
    snapshot = tmp_path / "node.json"
    snapshot.write_text(stale.to_json())
    loaded = doctor.gather(doctor.Source(snapshot=str(snapshot)))
    assert (_torch(loaded).compiled_archs, _torch(loaded).archs_source) == (
        _torch(today).compiled_archs, _torch(today).archs_source)


def test_observed_archs_are_kept_and_derive_is_idempotent():
    observed = doctor.observe(doctor.Source(fixture=str(NODE)))
    scanned = _with_torch(observed, compiled_archs=["sm_90"], compiled_ptx=[], archs_source="fatbin scan")
    once = derive(scanned, MatrixSet())
    assert (_torch(once).compiled_archs, _torch(once).archs_source) == (["sm_90"], "fatbin scan")
    assert derive(once, MatrixSet()) == once
    assert _torch(observed).archs_source is None and observed.accelerators == []
    assert [a.arch for a in once.accelerators] == ["sm_90"]


def test_a_cuda_build_the_matrix_does_not_know_is_an_unknown_once():
    observed = _with_torch(doctor.observe(doctor.Source(fixture=str(NODE))), version="2.11.0+cu999", variant="cu999")
    twice = derive(derive(observed, MatrixSet()), MatrixSet())
    unknowns = [u for u in twice.unknowns if u.fact == "torch.compiled_archs"]
    assert len(unknowns) == 1 and "not an official build" in unknowns[0].reason
    assert _torch(twice).compiled_archs == []


def test_probes_never_import_the_matrices():
    offenders = []
    for path in sorted((REPO / "accelctl" / "probes").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{Path(path).relative_to(REPO)}: {n}" for n in names
                          if n == "accelctl.matrices" or n.startswith("accelctl.matrices.")]
    assert offenders == []


def test_the_core_never_imports_the_cli():
    core = [REPO / "accelctl" / "doctor.py", REPO / "accelctl" / "fleet_check.py"]
    core += [p for d in ("derive", "probes", "rules", "plan", "gate", "inventory", "host")
             for p in (REPO / "accelctl" / d).rglob("*.py")]
    offenders = []
    for path in core:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("accelctl.cli"):
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == []
