"""`accelctl fleet`: many snapshots, one roll-up; the same verdicts as `doctor --from` on each."""

from __future__ import annotations

import json

from accelctl.doctor import Diagnosis
from accelctl.fleet_check import check_fleet, snapshot_paths
from tests.builders import H100, TORCH_2_11_CU130_PINS, make_inventory
from tests.conftest import run_cli

A100 = ("NVIDIA A100-SXM4-80GB", "8.0")
STACK = [("torch", "2.11.0+cu130", TORCH_2_11_CU130_PINS), ("nvidia-cudnn-cu13", "9.19.0.56", []),
         ("nvidia-nccl-cu13", "2.28.9", []), ("triton", "3.6.0", [])]


def _write_fleet(folder, healthy: int = 6, old_driver: int = 2, unreadable: bool = False):
    good = make_inventory(driver="580.159.04", gpus=[H100], dists=STACK)
    # torch cu130 on R535: the driver cannot run a CUDA 13 runtime (DRV001 error)
    bad = make_inventory(driver="535.104.05", gpus=[A100], dists=STACK)
    for i in range(healthy):
        (folder / f"good{i:02d}.json").write_text(good.to_json())
    for i in range(old_driver):
        (folder / f"old{i:02d}.json").write_text(bad.to_json())
    if unreadable:
        (folder / "broken.json").write_text('{"schema_version": 1, "os": 7}')
    (folder / "notes.txt").write_text("not a snapshot: ignored when a folder is given")


def test_roll_up_counts_nodes_per_rule(tmp_path):
    _write_fleet(tmp_path)
    report = check_fleet(snapshot_paths([str(tmp_path)]), Diagnosis())
    assert report.counts() == {"ok": 6, "warnings": 0, "errors": 2, "unreadable": 0}
    drv = [r for r in report.by_rule() if r.rule_id == "DRV001"]
    assert drv and drv[0].nodes == 2 and drv[0].severity == "error"
    assert {n.node for n in report.nodes if n.verdict == "errors"} == {"old00", "old01"}


def test_worker_processes_give_the_same_report(tmp_path):
    _write_fleet(tmp_path, healthy=7, old_driver=3)
    paths = snapshot_paths([str(tmp_path)])
    one = check_fleet(paths, Diagnosis(), jobs=1)
    many = check_fleet(paths, Diagnosis(), jobs=2)
    assert [(n.node, n.verdict, [f.rule_id for f in n.findings]) for n in one.nodes] == \
           [(n.node, n.verdict, [f.rule_id for f in n.findings]) for n in many.nodes]


def test_cli_exit_codes_and_text(tmp_path):
    _write_fleet(tmp_path)
    code, out, _ = run_cli(["fleet", str(tmp_path)])
    assert code == 1
    assert out.startswith("accelctl fleet: 8 snapshot(s): 2 with errors, 0 with warnings only, 6 clean")
    assert "DRV001" in out and "old00" in out and "good00" not in out
    code, _, _ = run_cli(["fleet", str(tmp_path), "--fail-on", "never"])
    assert code == 0
    code, _, _ = run_cli(["fleet", str(tmp_path), "--ignore", "DRV001", "--ignore", "DRV003"])
    assert code == 0


def test_an_unreadable_snapshot_is_named_and_exits_2(tmp_path):
    _write_fleet(tmp_path, unreadable=True)
    code, out, _ = run_cli(["fleet", str(tmp_path), "--json", "--fail-on", "never"])
    assert code == 2
    data = json.loads(out)
    assert data["fleet_schema_version"] == 1 and data["summary"]["unreadable"] == 1
    [broken] = [n for n in data["nodes"] if n["verdict"] == "unreadable"]
    assert "broken.json" in broken["error"] and "os" in broken["error"]


def test_markdown_and_missing_input(tmp_path):
    _write_fleet(tmp_path)
    code, out, _ = run_cli(["fleet", str(tmp_path / "good00.json"), str(tmp_path / "old00.json"), "-f", "markdown"])
    assert code == 1 and "| DRV001 | error | 1 |" in out and "| `old00` | errors | DRV001" in out
    code, _, err = run_cli(["fleet", str(tmp_path / "nope")])
    assert code == 2 and "nope: no such file or folder" in err
