"""JUnit: one test case per rule and subject, passed, failed (a finding) or skipped (undecided, with the reason)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from accelctl.doctor import Diagnosis, diagnose
from accelctl.report import renderer
from tests.builders import H100, make_inventory


@pytest.fixture(scope="module")
def report():
    # two GPUs: an H100 (DRV001 fails for the cu130 torch on R535) and one no matrix knows (ARCH001 undecided)
    inv = make_inventory(driver="535.104.05", gpus=[H100, ("NVIDIA Future GPU (not in any matrix)", None)],
                         dists=[("torch", "2.11.0+cu130", [])])
    result = diagnose(inv, Diagnosis())
    assert result.findings and result.undecided
    return result


def _cases(text):
    root = ET.fromstring(text)
    [suite] = root.findall("testsuite")
    return root, suite, suite.findall("testcase")


def _state(case) -> str:
    if case.find("failure") is not None:
        return "failed"
    return "skipped" if case.find("skipped") is not None else "passed"


def test_every_rule_that_ran_is_a_case_and_each_result_is_one_per_subject(report):
    root, suite, cases = _cases(renderer("junit")(report))
    states = {c.get("name"): _state(c) for c in cases}
    assert len(states) == len(cases), "case names are unique"
    assert {name.split()[0] for name in states} == set(report.checked)
    for f in report.findings:
        if f.severity in ("error", "warning"):
            name = next(n for n in states if n.startswith(f"{f.rule_id} {f.rule_name}") and (f.subject or "") in n)
            assert states[name] == "failed"
    failed_keys = {(f.rule_id, f.subject or "") for f in report.findings if f.severity in ("error", "warning")}
    for u in report.undecided:
        name = f"{u.rule_id} {u.rule_name}" + (f" [{u.subject}]" if u.subject else "")
        assert states[name] == ("failed" if (u.rule_id, u.subject or "") in failed_keys else "skipped")
    with_results = {f.rule_id for f in report.findings} | {u.rule_id for u in report.undecided}
    passed = {n for n, s in states.items() if s == "passed" and n.split()[0] not in with_results}
    assert passed and all("[" not in n for n in passed), "a passed rule is one case with no subject"
    counts = {s: sum(1 for v in states.values() if v == s) for s in ("failed", "skipped")}
    for element in (root, suite):
        assert int(element.get("tests")) == len(cases)
        assert int(element.get("failures")) == counts["failed"] and int(element.get("skipped")) == counts["skipped"]
        assert element.get("errors") == "0"


def test_skipped_cases_carry_what_is_unknown_and_what_would_settle_it(report):
    _, _, cases = _cases(renderer("junit")(report))
    skipped = [c.find("skipped") for c in cases if _state(c) == "skipped"]
    assert skipped and all(s.get("message").startswith("undecided: ") for s in skipped)
    arch = next(c for c in cases if c.get("name").startswith("ARCH001") and _state(c) == "skipped")
    assert "To decide: --assume cc=" in arch.find("skipped").get("message")
    assert arch.get("classname") == "accelctl.architecture"


def test_junitparser_reads_the_three_states(report):
    junitparser = pytest.importorskip("junitparser")
    xml = junitparser.JUnitXml.fromstring(renderer("junit")(report))
    suites = list(xml)
    cases = [c for s in suites for c in s]
    kinds = {type(r).__name__ for c in cases for r in c.result}
    assert kinds == {"Failure", "Skipped"} and any(not c.result for c in cases)
    assert sum(s.tests for s in suites) == len(cases)
