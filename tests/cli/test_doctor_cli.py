"""The doctor command as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest

from tests.conftest import REPO, run_cli


@pytest.fixture(scope="module")
def report_schema():
    return json.loads((REPO / "docs/schema/report.schema.json").read_text())


@pytest.mark.live
def test_doctor_on_this_machine_exits_0_and_validates(report_schema):
    # A real process, as a user would run it; this machine has no accelerator in CI.
    proc = subprocess.run([sys.executable, "-m", "accelctl", "doctor", "--json"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    jsonschema.validate(data, report_schema)
    assert data["inventory"]["mode"] == "live"


@pytest.mark.live
def test_rich_report_starts_with_a_summary_line():
    code, out, _ = run_cli(["doctor"])
    assert code == 0
    assert out.splitlines()[0].startswith("accelctl doctor: ")


def test_root_inspects_a_tree_without_commands(ubuntu_rootfs, report_schema):
    code, out, _ = run_cli(["doctor", "--root", str(ubuntu_rootfs), "--json"])
    assert code == 0
    data = json.loads(out)
    jsonschema.validate(data, report_schema)
    inv = data["inventory"]
    assert inv["mode"] == "rootfs" and inv["os"]["distro_version"] == "22.04"
    assert inv["python"][0]["prefix"] == "/opt/venv"
    assert [f["rule_id"] for f in data["findings"]] == []  # "no accelerator" is not said of an image


def test_expect_turns_no_accelerator_into_an_error(ubuntu_rootfs, tmp_path):
    snap = tmp_path / "s.json"
    run_cli(["doctor", "--root", str(ubuntu_rootfs), "--snapshot", str(snap), "--format", "json"])
    code, out, _ = run_cli(["doctor", "--from", str(snap), "--expect", "nvidia", "--json"])
    assert code == 1
    assert [f["rule_id"] for f in json.loads(out)["findings"]] == ["GEN002"]
    code, _, _ = run_cli(["doctor", "--from", str(snap), "--expect", "nvidia", "--fail-on", "never"])
    assert code == 0


@pytest.mark.parametrize("fmt, marker", [("markdown", "## accelctl doctor"), ("junit", "<testsuites"), ("sarif", '"version": "2.1.0"')])
def test_other_formats(ubuntu_rootfs, fmt, marker):
    code, out, _ = run_cli(["doctor", "--root", str(ubuntu_rootfs), "--format", fmt])
    assert code == 0 and marker in out


def test_bad_usage_exits_2(tmp_path):
    code, _, _ = run_cli(["doctor", "--format", "yaml"])
    assert code == 2
    code, _, err = run_cli(["doctor", "--root", str(tmp_path / "missing")])
    assert code == 2 and "not a directory" in err


def test_version():
    from accelctl import __version__

    code, out, _ = run_cli(["--version"])
    assert code == 0 and out.strip() == f"accelctl {__version__}"


def test_assume_changes_the_facts(ubuntu_rootfs, tmp_path):
    snap = tmp_path / "s.json"
    run_cli(["doctor", "--root", str(ubuntu_rootfs), "--snapshot", str(snap), "--json"])
    code, out, _ = run_cli(["doctor", "--from", str(snap), "--json", "--assume", "glibc=2.31", "--assume", "torch=2.5.1+cu124"])
    inv = json.loads(out)["inventory"]
    assert inv["mode"] == "assumed" and inv["os"]["libc_version"] == "2.31"
    [torch] = [f for f in inv["python"][0]["frameworks"] if f["name"] == "torch"]
    assert (torch["variant"], torch["runtime_kind"], torch["runtime_version"]) == ("cu124", "cuda", "12.4")
    code, _, err = run_cli(["doctor", "--from", str(snap), "--assume", "nonsense"])
    assert code == 2 and "KEY=VALUE" in err
