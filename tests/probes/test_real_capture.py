"""Replaying the capture of the real H100 node gives the inventory doctor reported on that node."""

from __future__ import annotations

import json

import pytest

from accelctl.derive import derive
from accelctl.host.fixture import FixtureHost
from accelctl.matrices import MatrixSet
from accelctl.probes.base import ProbeOptions
from accelctl.probes.collect import collect
from tests.conftest import FIXTURES, REPO

REAL = json.loads((REPO / "bench" / "node-2026-11-22" / "doctor.json").read_text())["inventory"]
UUID = "GPU-00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def replay():
    host = FixtureHost(str(FIXTURES / "hosts" / "h100-node-capture"))
    return derive(collect(host, ProbeOptions(), mode="fixture"), MatrixSet()).to_data()


def _redacted(data):
    text = json.dumps(data)
    for gpu in REAL["nvidia"]["gpus"]:
        if gpu.get("uuid"):
            text = text.replace(gpu["uuid"], UUID)
    return json.loads(text)


def _as_recorded(got, real):
    """``got`` cut to the fields the recorded report has (fields added to the model since are not compared)."""
    if isinstance(got, dict) and isinstance(real, dict):
        return {k: _as_recorded(got[k], real[k]) for k in real if k in got}
    if isinstance(got, list) and isinstance(real, list) and len(got) == len(real):
        return [_as_recorded(g, r) for g, r in zip(got, real)]
    return got


@pytest.mark.parametrize("section", ["os", "nvidia", "accelerators", "amd", "intel", "other_accelerators"])
def test_section_equals_the_real_node(replay, section):
    real = _redacted(REAL[section])
    got = replay[section]
    if section == "nvidia":  # the loader model now follows more libraries and import orders: compared below
        real, got = {k: v for k, v in real.items() if k != "resolutions"}, {k: v for k, v in got.items() if k != "resolutions"}
    got = _as_recorded(got, real)
    assert got == real


def test_every_library_the_node_report_resolved_resolves_the_same(replay):
    core = ("soname", "resolved_path", "resolved_version", "resolved_via", "expected_path", "shadowed")
    alone = {r["soname"]: r for r in replay["nvidia"]["resolutions"] if r["consumer"] == "torch" and not r["loaded_after"]}
    for real in REAL["nvidia"]["resolutions"]:
        assert {k: alone[real["soname"]][k] for k in core} == {k: real[k] for k in core}


def test_python_environment_equals_the_real_node(replay):
    [real], [got] = REAL["python"], replay["python"]
    assert _as_recorded(got["distributions"], real["distributions"]) == real["distributions"]
    # fields added since the node's report was recorded are not in it: compare the ones it has
    assert len(got["frameworks"]) == len(real["frameworks"])
    assert [{k: g.get(k) for k in r} for g, r in zip(got["frameworks"], real["frameworks"])] == real["frameworks"]
    assert (got["interpreter"], got["version"], got["kind"], got["prefix"]) == (
        "/opt/torch/.venv/bin/python3", "3.12.3", "venv", "/opt/torch/.venv")


def test_the_node_values_the_issue_names(replay):
    nv = replay["nvidia"]
    assert (nv["driver"]["version"], nv["driver"]["cuda_driver_version"]) == ("580.159.04", "13.0")
    [gpu] = nv["gpus"]
    assert (gpu["name"], gpu["compute_capability"], gpu["mig_mode"]) == ("NVIDIA H100 80GB HBM3", "9.0", "disabled")
    [tk] = nv["toolkits"]
    assert (tk["path"], tk["version"]) == ("/usr/local/cuda-13.0", "13.0.88")
    libs = {(l["name"], l["version"], l["origin"]) for l in nv["libraries"]}
    assert {("cudnn", "9.14.0", "system"), ("nccl", "2.28.3", "system"),
            ("cudnn", "9.19.0.56", "wheel"), ("nccl", "2.28.9", "wheel")} <= libs
    loads = {r["soname"]: r["resolved_path"] for r in nv["resolutions"]}
    assert loads["libcudnn.so.9"].endswith("site-packages/nvidia/cudnn/lib/libcudnn.so.9")
    assert loads["libnccl.so.2"].endswith("site-packages/nvidia/nccl/lib/libnccl.so.2")
