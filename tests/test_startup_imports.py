"""What a live doctor run imports before its first probe forks, kept small on purpose.

On a GPU node the python probe forks first and runs ~20 ms; everything the doctor
imports before that fork is paid on the path that waits, and everything after it
overlaps the probe. packaging's parsers, the framework readers and the rules are
only needed later (bench/RESULTS.md, fifth session). These tests fail when a new
top-level import drags them in early again.
"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

LATE = ("packaging", "accelctl.rules", "accelctl.matrices.base", "accelctl.probes.frameworks.common",
        "accelctl.plan", "accelctl.report.model", "accelctl.inventory.document", "accelctl.inventory.nvidia",
        "rich", "typer", "pynvml")


def imported_after(code: str) -> list:
    probe = code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=str(REPO), check=True)
    return out.stdout.split()


def late(modules: list) -> list:
    return [m for m in modules if any(m == name or m.startswith(name + ".") for name in LATE)]


def test_the_doctor_reaches_its_first_probe_without_packaging_rules_or_readers():
    modules = imported_after(
        "from accelctl.cli.fastpath import parse_doctor\n"
        "from accelctl.cli import doctor_run\n"
        "from accelctl import doctor\n"
        "from accelctl.probes import all_probes\n"
        "from accelctl.probes import collect, forked, runner\n"
        "from accelctl.host.live import LiveHost\n"
        "args = parse_doctor(['--json'])\n"
        "matrices = doctor.matrix_set(args.matrices)\n"
        "probes = all_probes()\n"
        "LiveHost()\n"
    )
    assert late(modules) == []


def test_the_python_probe_needs_only_the_framework_names():
    modules = imported_after("import accelctl.probes.python_env, accelctl.probes.distributions")
    assert late(modules) == []
    assert "accelctl.probes.frameworks.names" in modules


def test_catching_a_matrix_error_imports_no_loader():
    modules = imported_after("from accelctl.matrices import MatrixError, MatrixSet\nMatrixSet()")
    assert late(modules) == []


def test_the_idle_steps_prepare_the_rules_renderer_and_the_matrices_the_node_run_reads(tmp_path):
    """On the real H100/H200 node (its report from the device, bench/node-2026-12-05) the rules read exactly the
    usual matrices besides the frameworks probe's own, so loading those in idle time leaves diagnosing none."""
    import json

    from accelctl import doctor
    from accelctl.probes import probe_named

    report = json.loads((REPO / "bench" / "node-2026-12-05" / "doctor.json").read_text())
    snapshot = tmp_path / "node.json"
    snapshot.write_text(json.dumps(report["inventory"]))
    read = doctor.matrix_set()
    doctor.diagnose(doctor.gather(doctor.Source(snapshot=str(snapshot))), doctor.Diagnosis(), read)
    assert set(read.loaded()) == set(doctor.USUAL_RULE_MATRICES) | set(probe_named("frameworks").matrices)

    prepared = doctor.matrix_set()
    steps = doctor.diagnosis_imports("text", prepared)
    for step in steps:
        step()
    assert set(prepared.loaded()) == set(doctor.USUAL_RULE_MATRICES)
    assert len(steps) == 3 + len(doctor.USUAL_RULE_MATRICES)
    assert "accelctl.report.text" in sys.modules and "accelctl.rules.cuda" in sys.modules


def test_a_broken_overlay_stops_the_run_before_anything_is_judged(tmp_path):
    import pytest

    from accelctl import doctor
    from accelctl.matrices import MatrixError

    (tmp_path / "cuda_toolkit.yaml").write_text("entries: [oops")
    with pytest.raises(MatrixError) as info:
        doctor.matrix_set([str(tmp_path)])
    assert info.value.file == str(tmp_path / "cuda_toolkit.yaml")


def test_the_frameworks_probe_reads_elf_files_without_the_nvidia_probe():
    modules = imported_after("import accelctl.probes.frameworks.probe")
    assert "accelctl.probes.nvidia.elf" in modules and "accelctl.probes.nvidia.probe" not in modules
    assert "accelctl.probes.nvidia.ldcache" not in modules
