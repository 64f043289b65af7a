"""The fixture host replays commands and NVML answers, errors included."""

from __future__ import annotations

import time

import pytest

from accelctl.host.base import DeviceLibraryError, NotSupported
from accelctl.host.fixture import FixtureHost
from tests.conftest import make_fixture


def test_replays_commands_by_base_name(tmp_path):
    folder = make_fixture(tmp_path / "fx", {}, commands={
        "nvidia-smi --query-gpu=name --format=csv": {"returncode": 0, "stdout": "name\nNVIDIA H100 80GB HBM3\n"},
        "hl-smi *": {"returncode": 1, "stderr": "no device"},
    })
    host = FixtureHost(str(folder))
    assert host.run(["/usr/bin/nvidia-smi", "--query-gpu=name", "--format=csv"]).stdout.endswith("HBM3\n")
    assert host.run(["hl-smi", "-L"]).returncode == 1
    assert host.run(["rocminfo"]).missing


def test_exec_entries_really_run_under_the_timeout(tmp_path):
    folder = make_fixture(tmp_path / "fx", {}, commands={"nvidia-smi *": {"exec": ["sleep", "30"]}})
    start = time.monotonic()
    result = FixtureHost(str(folder)).run(["nvidia-smi"], timeout=0.3)
    assert result.timed_out and time.monotonic() - start < 3


def test_nvml_answers_and_errors(tmp_path):
    folder = make_fixture(tmp_path / "fx", {}, nvml={
        "nvmlSystemGetDriverVersion []": "580.159.04",
        "nvmlDeviceGetName [0]": "NVIDIA H100 80GB HBM3",
    })
    host = FixtureHost(str(folder))
    assert host.nvml("nvmlSystemGetDriverVersion") == "580.159.04"
    assert host.nvml("nvmlDeviceGetName", 0) == "NVIDIA H100 80GB HBM3"
    with pytest.raises(DeviceLibraryError) as info:
        host.nvml("nvmlDeviceGetSerial", 0)
    assert info.value.code == 3


def test_a_recorded_init_error_fails_every_call(tmp_path):
    folder = make_fixture(tmp_path / "fx", {}, nvml={
        "nvmlInit []": {"error": {"code": 18, "message": "Driver/library version mismatch"}},
        "nvmlSystemGetDriverVersion []": "580.159.04",
    })
    with pytest.raises(DeviceLibraryError) as info:
        FixtureHost(str(folder)).nvml("nvmlSystemGetDriverVersion")
    assert info.value.code == 18 and "mismatch" in str(info.value)


def test_no_nvml_file_means_nvml_is_absent(tmp_path):
    with pytest.raises(NotSupported):
        FixtureHost(str(make_fixture(tmp_path / "fx", {}))).nvml("nvmlInit")
