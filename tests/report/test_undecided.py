"""Undecided is not healthy: every output carries the third state, and --fail-on counts it as a warning."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from accelctl.doctor import Diagnosis, diagnose, exit_code
from accelctl.report import renderer
from tests.builders import make_inventory

# A GPU NVML could not give a compute capability for, and that no matrix knows: ARCH001 and DRV005 cannot decide.
UNKNOWN_GPU = ("NVIDIA Future GPU (not in any matrix)", None)


@pytest.fixture(scope="module")
def report():
    inv = make_inventory(driver="580.159.04", gpus=[UNKNOWN_GPU], dists=[("torch", "2.11.0+cu130", [])])
    return diagnose(inv, Diagnosis())


def test_unknown_compute_capability_leaves_the_arch_checks_undecided(report):
    assert {u.rule_id for u in report.undecided} >= {"ARCH001", "DRV005"}
    arch = next(u for u in report.undecided if u.rule_id == "ARCH001")
    assert arch.severity == "warning" and any("compute capability" in m for m in arch.missing)
    assert any(s.startswith("--assume cc=") for s in arch.settle)
    assert report.findings == []


def test_summary_never_says_no_problems_while_undecided(report):
    s = report.summary
    assert s.undecided == len(report.undecided) and s.verdict == "warnings"
    text = renderer("text")(report, width=200)
    first = text.splitlines()[0]
    assert f"no problems found in what could be checked; {s.undecided} checks undecided" in first
    assert f"{s.undecided} undecided" in first
    assert "Undecided (a fact these checks need is unknown; not a pass):" in text
    assert "to decide: --assume cc=" in text
    assert "no problems found in what could be checked" in renderer("markdown")(report)
    assert "### Undecided" in renderer("markdown")(report)


def test_exit_code_counts_undecided_as_warning(report):
    assert exit_code(report, "warning") == 1
    assert exit_code(report, "error") == 0


def test_json_carries_the_undecided_list_and_count(report):
    doc = json.loads(renderer("json")(report))
    assert doc["report_schema_version"] == 2
    assert doc["summary"]["undecided"] == len(doc["undecided"]) > 0
    first = doc["undecided"][0]
    assert {"rule_id", "message", "missing", "settle", "severity"} <= set(first)


def test_sarif_results_marked_undecided(report):
    doc = json.loads(renderer("sarif")(report))
    [run] = doc["runs"]
    undecided = [r for r in run["results"] if r["properties"].get("accelctl/state") == "undecided"]
    assert len(undecided) == len(report.undecided)
    assert all(r["level"] == "warning" and r["message"]["text"].startswith("Undecided:") for r in undecided)


def test_junit_undecided_checks_are_skipped_with_the_reason(report):
    root = ET.fromstring(renderer("junit")(report))
    suite = root.find("testsuite")
    skipped = suite.findall("testcase/skipped")
    assert len(skipped) == len({u.rule_id for u in report.undecided}) == int(suite.get("skipped"))
    assert all("undecided:" in s.get("message") for s in skipped)


def test_a_fully_decided_clean_report_still_says_no_problems():
    inv = make_inventory(driver="580.159.04", gpus=[("NVIDIA H100 80GB HBM3", "9.0")], dists=[("torch", "2.11.0+cu130", [])])
    report = diagnose(inv, Diagnosis(select=["ARCH001", "DRV001", "DRV005", "ENV"]))
    assert report.undecided == []
    assert renderer("text")(report).startswith("accelctl doctor: no problems found — ")


# --- end to end: `doctor --from` on the real H100 node's inventory with one fact changed ----------------


@pytest.fixture(scope="module")
def h100_data():
    from accelctl.doctor import Source, gather
    from tests.conftest import FIXTURES

    return gather(Source(fixture=str(FIXTURES / "hosts" / "h100-node"))).to_data()


def _snapshot(tmp_path, data, name):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_cli_gpu_unknown_to_the_matrices_is_undecided_not_healthy(tmp_path, h100_data):
    from tests.conftest import run_cli

    data = json.loads(json.dumps(h100_data))
    for gpu in data["nvidia"]["gpus"]:
        gpu.update(name="NVIDIA GPU unknown to the matrices", compute_capability=None, pci_device_id=None)
    path = _snapshot(tmp_path, data, "unknown-gpu.json")
    code, out, _ = run_cli(["doctor", "--from", path])
    assert code == 0 and "no problems found in what could be checked; 3 checks undecided" in out.replace("\n", " ")
    assert "UNDEC ARCH001" in out and "UNDEC DRV005" in out and "UNDEC LIB005" in out
    assert run_cli(["doctor", "--from", path, "--fail-on", "warning"])[0] == 1
    code, out, _ = run_cli(["doctor", "--from", path, "--assume", "cc=9.0"])  # what settles it
    assert code == 0 and out.startswith("accelctl doctor: no problems found — ")


def test_undecided_sarif_is_valid_sarif_2_1_0(report):
    from tests.report.test_schemas import _errors, _sarif_validator

    validator = _sarif_validator()
    assert _errors(validator, json.loads(renderer("sarif")(report))) == []


def test_undecided_junit_reads_back_as_skipped(report):
    junitparser = pytest.importorskip("junitparser")
    xml = junitparser.JUnitXml.fromstring(renderer("junit")(report))
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    cases = {c.name.split()[0]: c for s in suites for c in s}
    undecided = {u.rule_id for u in report.undecided}
    assert undecided and all(any(isinstance(r, junitparser.Skipped) for r in cases[rule].result) for rule in undecided)
    assert all(not c.result for rule, c in cases.items() if rule not in undecided)  # the others passed


def test_fleet_counts_a_node_with_undecided_checks_as_not_clean(tmp_path, h100_data):
    from accelctl.fleet_check import check_fleet, exit_code
    from accelctl.report.fleet import render_json, render_text

    data = json.loads(json.dumps(h100_data))
    for gpu in data["nvidia"]["gpus"]:
        gpu.update(name="NVIDIA GPU unknown to the matrices", compute_capability=None, pci_device_id=None)
    paths = [_snapshot(tmp_path, h100_data, "known.json"), _snapshot(tmp_path, data, "unknown.json")]
    fleet = check_fleet(paths, Diagnosis())
    assert {n.node: n.verdict for n in fleet.nodes} == {"known": "ok", "unknown": "warnings"}
    assert exit_code(fleet, "warning") == 1 and exit_code(fleet, "error") == 0
    rows = {(r.rule_id, r.state): r.nodes for r in fleet.by_rule()}
    assert rows[("ARCH001", "undecided")] == 1
    text = render_text(fleet)
    assert "undecided" in text and "ARCH001 undecided" in text
    doc = json.loads(render_json(fleet))
    assert any(f["state"] == "undecided" for n in doc["nodes"] for f in n["findings"])
