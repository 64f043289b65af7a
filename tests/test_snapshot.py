"""Snapshots: round trip, and clear one-line errors for bad files (exit 2, never a traceback)."""

from __future__ import annotations

import json

import pytest

from accelctl.inventory import SCHEMA_VERSION, Inventory, SnapshotError, inventory_from_data, load_snapshot
from accelctl.inventory.nvidia import NvidiaDriver, NvidiaGpu, NvidiaInfo
from accelctl.inventory.system import OsInfo
from tests.conftest import run_cli


def sample() -> Inventory:
    return Inventory(
        host="fixture", mode="fixture", os=OsInfo(distro_id="ubuntu", distro_version="22.04", arch="x86_64"),
        nvidia=NvidiaInfo(present=True, driver=NvidiaDriver(version="535.104.05", cuda_driver_version="12.2"),
                          gpus=[NvidiaGpu(index=0, name="NVIDIA A100-SXM4-80GB", compute_capability="8.0")]),
    )


def test_inventory_round_trips_through_json():
    inv = sample()
    assert inventory_from_data(json.loads(inv.to_json())) == inv


def test_a_full_report_is_accepted_as_a_snapshot():
    inv = sample()
    assert inventory_from_data({"report_schema_version": 1, "inventory": inv.to_data()}) == inv


@pytest.mark.parametrize("content, expected", [
    ('{"schema_version": 1, "os": {"arch": 5}}', "field 'os.arch': expected a string"),
    ('{"schema_version": 99}', f"schema version 99 is newer than this accelctl understands ({SCHEMA_VERSION})"),
    ('{"os": {}}', "'schema_version' is missing"),
    ('{"schema_version": 1, "os": {"distro_id": "ub', "truncated JSON"),
    ('{"schema_version": 1,, }', "malformed JSON"),
    ('[1, 2]', "not an inventory"),
    ('{"schema_version": 1, "gpus": []}', "field 'gpus': unknown field"),
])
def test_bad_snapshots_name_the_problem(tmp_path, content, expected):
    path = tmp_path / "snap.json"
    path.write_text(content)
    with pytest.raises(SnapshotError) as info:
        load_snapshot(str(path))
    assert str(path) in str(info.value)
    assert expected in str(info.value)


@pytest.mark.parametrize("content", ['{"schema_version": 1, "os": 3}', '{"schema_version": 7}', '{"sche', "\x00\xff"])
def test_cli_exits_2_naming_the_file(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_bytes(content.encode("latin-1"))
    code, out, err = run_cli(["doctor", "--from", str(path)])
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert lines[0] == "error: snapshot-unreadable" and str(path) in err and lines[-1].startswith("hint: ")
    assert "Traceback" not in err


def test_missing_snapshot_file(tmp_path):
    code, _, err = run_cli(["doctor", "--from", str(tmp_path / "nope.json")])
    assert code == 2 and "cannot read" in err


def test_snapshot_then_from_gives_identical_findings(tmp_path, ubuntu_rootfs):
    snap = tmp_path / "snap.json"
    code1, out1, _ = run_cli(["doctor", "--root", str(ubuntu_rootfs), "--snapshot", str(snap), "--json"])
    code2, out2, _ = run_cli(["doctor", "--from", str(snap), "--json"])
    assert code1 == code2 == 0
    first, second = json.loads(out1), json.loads(out2)
    assert first["findings"] == second["findings"]
    assert first["inventory"] == second["inventory"]
