"""SARIF that GitHub code scanning ingests: the OASIS schema plus GitHub's documented upload rules.

GitHub's rules (SARIF support for code scanning; results-exceed-limit; file-too-large):
a file location on every result (a result without one makes the whole upload
fail: github/codeql-action#1738 and #2459), relative to the checkout with no URI
scheme, only the first location used, ``partialFingerprints`` to follow an alert across runs, rules
with ``helpUri``/``help``/``fullDescription``/``defaultConfiguration`` and at most
20 tags, no ``automationDetails.id`` (the upload's category), and the size limits:
at most 20 runs, 25,000 results and 25,000 rules a run, 1,000 locations a result,
10 MB gzipped.
"""

from __future__ import annotations

import gzip
import json
import re

import pytest

from tests.conftest import run_cli
from tests.gate.imagebuild import docker_save
from tests.gate.test_fleet_verdicts import ENV, FLEET, layers
from tests.report.test_schemas import _errors, _sarif_validator

SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A repository checkout with the fleet spec in deploy/, and an image archive built elsewhere."""
    root = tmp_path_factory.mktemp("checkout")
    (root / "deploy").mkdir()
    (root / "deploy" / "fleet.yaml").write_text(FLEET, encoding="utf-8")
    image = docker_save(tmp_path_factory.mktemp("build") / "app.tar", layers(), ENV)
    return root, image


def _gate_sarif(monkeypatch, root, image, fleet="deploy/fleet.yaml"):
    monkeypatch.chdir(root)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(root))
    code, out, err = run_cli(["gate", "--fleet", fleet, "--image", str(image), "--format", "sarif"])
    assert code == 1, err
    return out


def assert_github_accepts(text: str) -> None:
    doc = json.loads(text)
    assert _errors(_sarif_validator(), doc) == []
    assert len(gzip.compress(text.encode("utf-8"))) <= 10 * 1024 * 1024
    assert 1 <= len(doc["runs"]) <= 20
    for run in doc["runs"]:
        assert "automationDetails" not in run
        driver = run["tool"]["driver"]
        assert driver["informationUri"].startswith("https://")
        assert len(driver["rules"]) <= 25_000 and len(run["results"]) <= 25_000
        for rule in driver["rules"]:
            assert rule["helpUri"].endswith(f"/docs/rules/{rule['id']}.md")
            assert rule["help"]["text"] and rule["help"]["markdown"] and rule["fullDescription"]["text"]
            assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
            assert len(rule.get("properties", {}).get("tags", [])) <= 20
        for res in run["results"]:
            assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
            assert re.fullmatch(r"[0-9a-f]{64}", res["partialFingerprints"]["accelctl/v1"])
            assert 1 <= len(res["locations"]) <= 1000
            for loc in res["locations"]:
                # a result without physicalLocation.artifactLocation.uri makes the whole upload fail
                physical = loc["physicalLocation"]
                uri = physical["artifactLocation"]["uri"]
                assert uri and not SCHEME.match(uri) and not uri.startswith(("/", "./", "../"))
                assert " " not in uri and "\\" not in uri and ".." not in uri.split("/")
                assert physical["region"]["startLine"] >= 1


def test_gate_failure_sarif_is_accepted_and_points_at_the_failing_class(monkeypatch, checkout):
    root, image = checkout
    text = _gate_sarif(monkeypatch, root, image)
    assert_github_accepts(text)
    [run] = json.loads(text)["runs"]
    lines = {m.group(1): i for i, line in enumerate(FLEET.splitlines(), 1) if (m := re.search(r"name: ([\w-]+)", line))}
    failed = [r for r in run["results"] if r["level"] == "error"]
    assert {r["properties"]["nodeClass"] for r in failed} == {"v100-r470", "rtx5090-r570"}
    for res in run["results"]:
        [loc] = res["locations"]
        node_class = res["properties"]["nodeClass"]
        assert loc["physicalLocation"]["artifactLocation"]["uri"] == "deploy/fleet.yaml"
        assert loc["physicalLocation"]["region"]["startLine"] == lines[node_class]
        assert loc["logicalLocations"][0] == {"name": node_class, "fullyQualifiedName": f"deploy/fleet.yaml#{node_class}",
                                              "kind": "resource"}
    prints = [(r["ruleId"], r["properties"]["nodeClass"], r["partialFingerprints"]["accelctl/v1"]) for r in run["results"]]
    assert len({p for _, _, p in prints}) == len({(rule, cls) for rule, cls, _ in prints})


def test_fingerprints_stay_the_same_across_runs_and_image_paths(monkeypatch, checkout, tmp_path):
    root, image = checkout
    moved = tmp_path / "elsewhere.tar"
    moved.write_bytes(image.read_bytes())
    first = json.loads(_gate_sarif(monkeypatch, root, image))["runs"][0]["results"]
    again = json.loads(_gate_sarif(monkeypatch, root, moved, fleet=str(root / "deploy" / "fleet.yaml")))["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in first] == [r["partialFingerprints"] for r in again]


def test_a_fleet_outside_the_checkout_gets_a_stand_in_path(monkeypatch, checkout, tmp_path):
    root, image = checkout
    outside = tmp_path / "prod-fleet.yaml"
    outside.write_text(FLEET, encoding="utf-8")
    text = _gate_sarif(monkeypatch, root, image, fleet=str(outside))
    assert_github_accepts(text)
    for res in json.loads(text)["runs"][0]["results"]:
        [loc] = res["locations"]
        assert loc["physicalLocation"]["artifactLocation"]["uri"] == "accelctl/fleet/prod-fleet.yaml"
        assert loc["logicalLocations"][0]["name"] == res["properties"]["nodeClass"]


def test_doctor_sarif_locates_results_at_a_snapshot_in_the_checkout(monkeypatch, tmp_path):
    from tests.builders import H100, make_inventory

    inv = make_inventory(driver="535.104.05", gpus=[H100], dists=[("torch", "2.11.0+cu130", [])])
    (tmp_path / "nodes").mkdir()
    (tmp_path / "nodes" / "gpu node.json").write_text(inv.to_json(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    code, text, err = run_cli(["doctor", "--from", "nodes/gpu node.json", "--format", "sarif"])
    assert code == 1, err
    assert_github_accepts(text)
    results = json.loads(text)["runs"][0]["results"]
    assert results and {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {
        "nodes/gpu%20node.json"}
    # the same snapshot seen from a checkout it is not in: a stand-in path named after it
    monkeypatch.chdir(tmp_path / "nodes")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path / "nodes" / "repo"))
    code, text, _ = run_cli(["doctor", "--from", "gpu node.json", "--format", "sarif"])
    assert_github_accepts(text)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in json.loads(text)["runs"][0]["results"]}
    assert uris == {"accelctl/snapshot/gpu%20node.json"}


def test_doctor_sarif_of_a_node_points_at_a_stand_in_path():
    from accelctl.doctor import Diagnosis, diagnose
    from accelctl.report import renderer
    from tests.builders import H100, make_inventory

    report = diagnose(make_inventory(driver="535.104.05", gpus=[H100], dists=[("torch", "2.11.0+cu130", [])]),
                      Diagnosis())
    text = renderer("sarif")(report)
    assert_github_accepts(text)
    for res in json.loads(text)["runs"][0]["results"]:
        [loc] = res["locations"]
        assert loc["physicalLocation"]["artifactLocation"]["uri"] == "accelctl/node/live"
        assert loc["logicalLocations"][0]["name"]


def test_the_result_cap_is_kept_and_said(monkeypatch):
    from accelctl.doctor import Diagnosis, diagnose
    from accelctl.report import sarif
    from tests.builders import H100, make_inventory

    report = diagnose(make_inventory(driver="535.104.05", gpus=[H100], dists=[("torch", "2.11.0+cu130", [])]),
                      Diagnosis())
    item = report.findings[0]
    many = [sarif.result_for(item, sarif.physical_location("accelctl/node/live", 1, [{"name": f"gpu {i}"}]),
                             (item.rule_id, str(i)))
            for i in range(30)]
    monkeypatch.setattr(sarif, "MAX_RESULTS", 25)
    doc = json.loads(sarif.document(many, [item]))
    [run] = doc["runs"]
    assert len(run["results"]) == 25
    [note] = run["invocations"][0]["toolExecutionNotifications"]
    assert note["descriptor"]["id"] == "results-capped" and "30 results" in note["message"]["text"]
    assert _errors(_sarif_validator(), doc) == []


def test_class_lines_in_block_and_flow_style(tmp_path):
    from accelctl.report.locations import checkout_uri, fleet_class_lines

    spec = tmp_path / "fleet.yaml"
    spec.write_text("fleet: 1\nname: prod\nclasses:\n  # the big ones\n  - name: h100-r550\n    vendor: nvidia\n"
                    "    driver: \"550.54.15\"\n  - vendor: amd\n    gfx_target: gfx942\n    name: mi300x\n"
                    "  - {name: lab, snapshot: nodes/lab.json}\n", encoding="utf-8")
    assert fleet_class_lines(str(spec)) == {"h100-r550": 5, "mi300x": 10, "lab": 11}
    assert fleet_class_lines(str(tmp_path / "missing.yaml")) == {}
    assert checkout_uri(str(spec), str(tmp_path)) == "fleet.yaml"
    assert checkout_uri(str(spec), str(tmp_path / "sub")) is None  # outside the checkout
    assert checkout_uri("/etc/hosts", str(tmp_path)) is None


def test_gate_results_point_at_the_dockerfile_final_stage_when_given(monkeypatch, checkout):
    """--dockerfile: the image's findings are fixed in its Dockerfile, so code scanning shows them at the last FROM
    (the final stage is the image that ships); the class's line in the fleet spec stays as a related location."""
    root, image = checkout
    (root / "Dockerfile").write_text("FROM python:3.12 AS build\nRUN pip wheel .\n\nfrom nvidia/cuda:12.1.1-base\n"
                                     "COPY --from=build /w /w\n", encoding="utf-8")
    monkeypatch.chdir(root)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(root))
    code, out, err = run_cli(["gate", "--fleet", "deploy/fleet.yaml", "--image", str(image), "--format", "sarif",
                              "--dockerfile", "Dockerfile"])
    assert code == 1, err
    assert_github_accepts(out)
    without = json.loads(_gate_sarif(monkeypatch, root, image))["runs"][0]["results"]
    results = json.loads(out)["runs"][0]["results"]
    for res in results:
        [loc] = res["locations"]
        assert loc["physicalLocation"]["artifactLocation"]["uri"] == "Dockerfile"
        assert loc["physicalLocation"]["region"]["startLine"] == 4
        [related] = res["relatedLocations"]
        assert related["physicalLocation"]["artifactLocation"]["uri"] == "deploy/fleet.yaml"
    assert [r["partialFingerprints"] for r in results] == [r["partialFingerprints"] for r in without]


def test_a_dockerfile_without_from_is_exit_2(monkeypatch, checkout, tmp_path):
    root, image = checkout
    bad = tmp_path / "Dockerfile"
    bad.write_text("RUN true\n", encoding="utf-8")
    monkeypatch.chdir(root)
    code, out, err = run_cli(["gate", "--fleet", "deploy/fleet.yaml", "--image", str(image), "--format", "sarif",
                              "--dockerfile", str(bad)])
    assert (code, out) == (2, "") and "dockerfile-unreadable" in err and "no FROM" in err
