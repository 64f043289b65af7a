"""SARIF, JUnit and Markdown outputs carry every finding in the shape their consumers expect."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from accelctl.doctor import Diagnosis, diagnose
from accelctl.report import renderer
from tests.builders import H100, make_inventory


@pytest.fixture(scope="module")
def report():
    # torch built for CUDA 13 on an R535 node with an H100: DRV001 error + DRV003 warning
    inv = make_inventory(driver="535.104.05", gpus=[H100], dists=[("torch", "2.11.0+cu130", [])])
    return diagnose(inv, Diagnosis())


def test_sarif_2_1_0_shape(report):
    doc = json.loads(renderer("sarif")(report))
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    [run] = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "accelctl" and driver["version"]
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    assert {f.rule_id for f in report.findings} <= set(rule_ids)
    assert len(run["results"]) == len(report.findings)
    for res in run["results"]:
        assert res["level"] in ("error", "warning", "note", "none")
        assert res["message"]["text"]
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        # no file of the checkout is involved: a stand-in path, never a node path or another URI scheme
        [location] = res["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "accelctl/node/live"
        assert location["logicalLocations"][0]["name"]
        assert res["partialFingerprints"]["accelctl/v1"]
    for rule in driver["rules"]:
        assert rule["helpUri"].endswith(f"/docs/rules/{rule['id']}.md")
        assert rule["shortDescription"]["text"]


def test_junit_counts_failures(report):
    root = ET.fromstring(renderer("junit")(report))
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    failed = [c for c in cases if c.find("failure") is not None]
    assert int(suite.get("tests")) == len(cases) and int(suite.get("failures")) == len(failed)
    bad_rules = {f.rule_id for f in report.findings if f.severity in ("error", "warning")}
    assert {c.get("name").split()[0] for c in failed} == bad_rules


def test_markdown_lists_every_finding_and_the_plan(report):
    text = renderer("markdown")(report)
    for f in report.findings:
        assert f"**{f.rule_id}**" in text
    assert "### Fix-it plan" in text and "```sh" in text
