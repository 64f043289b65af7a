"""Vendor libraries answer from a child process: the same answers as in process, and a child that crashes,
hangs, exits or answers garbage costs only that library's facts, never the doctor."""

from __future__ import annotations

import os
import re
import sys
import time

import pytest

from accelctl.host.base import DeviceLibraryError, NotSupported
from accelctl.host.device_process import DeviceProcess
from accelctl.host.live import LiveHost


@pytest.fixture
def served():
    nvml = DeviceProcess("NVML", deadline=1.0, backend="tests.host.standin:StandIn")
    yield nvml
    nvml.close()


def test_answers_come_back_as_plain_data_from_another_process(served):
    assert served.call("nvmlSystemGetDriverVersion") == "580.159.04"
    assert served.call("nvmlDeviceGetMemoryInfo", 0)["total"] == 150754820096
    assert served.call("pid") != os.getpid()
    assert served.call("print") == "quiet"


def test_errors_keep_their_kind_code_and_message(served):
    with pytest.raises(DeviceLibraryError) as err:
        served.call("nvmlDeviceGetFanSpeed", 0)
    assert (err.value.library, err.value.code, err.value.message) == ("NVML", 3, "Not Supported")
    with pytest.raises(NotSupported, match="nvmlSystemGetTopologyGpuSet"):
        served.call("nvmlSystemGetTopologyGpuSet")
    with pytest.raises(DeviceLibraryError, match="KeyError"):
        served.call("bug")
    assert served.call("nvmlSystemGetDriverVersion") == "580.159.04"  # the child still serves


@pytest.mark.parametrize(("call", "why"), [
    ("hang", "hang did not return within 1 s"),
    ("segfault", "its process ended during segfault (killed by SIGSEGV)"),
    ("garbage", "its process answered garbage with something that is not a reply"),
])
def test_a_broken_child_costs_its_library_and_stays_broken(served, call, why):
    start = time.monotonic()
    with pytest.raises(DeviceLibraryError, match=re.escape(why)):
        served.call(call)
    assert time.monotonic() - start < 3
    with pytest.raises(DeviceLibraryError, match=re.escape(why)):  # later calls fail at once, with the same reason
        served.call("nvmlSystemGetDriverVersion")


def test_the_live_host_never_loads_a_vendor_library_in_this_process(tmp_path, monkeypatch):
    (tmp_path / "amdsmi.py").write_text("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    host = LiveHost(env={**os.environ, "ACCELCTL_DEVICE_TIMEOUT": "5"})
    with pytest.raises(DeviceLibraryError, match="killed by SIGSEGV"):
        host.amdsmi("amdsmi_init")
    with pytest.raises((DeviceLibraryError, NotSupported)):
        host.nvml("nvmlInit")
    host.release()
    assert "pynvml" not in sys.modules and "amdsmi" not in sys.modules
