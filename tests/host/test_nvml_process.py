"""NVML served from its own process answers as NVML in process does, and a wedged or crashing NVML costs no more
than its timeout. The backend here is a stand-in with LiveNvml's shape: a real NVML needs a GPU."""

from __future__ import annotations

import faulthandler
import os
import signal
import threading
import time

import pytest

from accelctl.host.base import DeviceLibraryError, NotSupported
from accelctl.host.nvml_process import NvmlProcess

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the NVML process needs os.fork")


class StandIn:
    """Answers like LiveNvml: plain data, DeviceLibraryError with NVML's code, NotSupported."""

    def __init__(self) -> None:
        self.warmed = False

    def warm_up_now(self) -> None:
        self.warmed = True

    def call(self, name, *args):
        if name == "nvmlSystemGetDriverVersion":
            return "580.159.04"
        if name == "warmed":
            return self.warmed
        if name == "pid":
            return os.getpid()
        if name == "nvmlDeviceGetMemoryInfo":
            return {"total": 150754820096, "free": 150121349120, "used": 633470976, "device": args[0]}
        if name == "nvmlDeviceGetFanSpeed":
            raise DeviceLibraryError("NVML", 3, "Not Supported")
        if name == "nvmlSystemGetTopologyGpuSet":
            raise NotSupported("this nvidia-ml-py has no nvmlSystemGetTopologyGpuSet")
        if name == "hang":
            time.sleep(60)
        if name == "segfault":
            faulthandler.disable()
            os.kill(os.getpid(), signal.SIGSEGV)
        if name == "bug":
            raise KeyError("surprise")
        return None


@pytest.fixture
def served():
    nvml = NvmlProcess(StandIn)
    assert nvml.start()
    yield nvml
    nvml.close()


def test_answers_come_back_as_plain_data_from_another_process(served):
    assert served.call("nvmlSystemGetDriverVersion") == "580.159.04"
    assert served.call("nvmlDeviceGetMemoryInfo", 0)["total"] == 150754820096
    assert served.call("nvmlDeviceGetMemoryInfo", "0:1")["device"] == "0:1"  # MIG device names travel as given
    assert served.call("warmed") is True  # warmed up before the first request
    assert served.call("pid") != os.getpid()


def test_errors_keep_their_kind_code_and_message(served):
    with pytest.raises(DeviceLibraryError) as err:
        served.call("nvmlDeviceGetFanSpeed", 0)
    assert (err.value.library, err.value.code, err.value.message) == ("NVML", 3, "Not Supported")
    with pytest.raises(NotSupported, match="no nvmlSystemGetTopologyGpuSet"):
        served.call("nvmlSystemGetTopologyGpuSet")
    with pytest.raises(DeviceLibraryError, match="KeyError"):
        served.call("bug")
    assert served.call("nvmlSystemGetDriverVersion") == "580.159.04"  # the server survives its errors


def test_a_wedged_call_is_given_up_at_the_timeout_and_the_server_killed(served):
    served.call_timeout = 0.3
    pid = served._pid
    start = time.monotonic()
    with pytest.raises(DeviceLibraryError, match="hang did not return within"):
        served.call("hang")
    assert time.monotonic() - start < 3
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # killed and reaped
    start = time.monotonic()
    with pytest.raises(DeviceLibraryError, match="hang did not return"):
        served.call("nvmlSystemGetDriverVersion")  # later calls fail at once with the first reason
    assert time.monotonic() - start < 0.5


def test_a_crash_inside_the_library_becomes_an_nvml_error(served):
    with pytest.raises(DeviceLibraryError, match=r"ended during segfault \(killed by SIGSEGV\)"):
        served.call("segfault")


def test_close_ends_the_server(served):
    pid = served._pid
    served.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    with pytest.raises(DeviceLibraryError, match="closed"):
        served.call("nvmlSystemGetDriverVersion")


def test_close_without_waiting_kills_the_server_and_reaps_it_soon(served):
    pid = served._pid
    start = time.monotonic()
    served.close(wait=False)
    assert time.monotonic() - start < 0.05
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the reaper thread waits for it
        try:
            os.kill(pid, 0)  # still there (a zombie not yet reaped)
        except ProcessLookupError:
            break
        time.sleep(0.01)
    else:
        pytest.fail("the NVML process was never reaped")
    with pytest.raises(DeviceLibraryError, match="closed"):
        served.call("nvmlSystemGetDriverVersion")


def test_no_server_is_forked_while_another_thread_runs():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert NvmlProcess(StandIn).start() is False  # the live host then starts NVML in a thread, as before
    finally:
        stop.set()
        other.join()


def test_the_live_host_serves_real_nvml_from_its_process_with_the_in_process_answer(monkeypatch):
    """Where there is no NVIDIA driver (this test machine), the served NVML fails exactly as NVML in process does."""
    from accelctl.host import live
    from accelctl.host.device_libs import LiveNvml

    def in_process_answer():
        try:
            LiveNvml().call("nvmlInit")
            return "ok"
        except (DeviceLibraryError, NotSupported) as exc:
            return type(exc).__name__, str(exc)

    expected = in_process_answer()
    if expected == "ok":
        pytest.skip("this machine has a working NVML")
    driver_files = ("/proc/driver/nvidia", "/dev/nvidiactl")
    real_exists = os.path.exists
    monkeypatch.setattr(live.os.path, "exists", lambda p: p in driver_files or real_exists(p))
    host = live.LiveHost()
    host.warm_up()
    served = host._nvml
    assert isinstance(served, NvmlProcess)
    try:
        host.nvml("nvmlInit")
        got = "ok"
    except (DeviceLibraryError, NotSupported) as exc:
        got = type(exc).__name__, str(exc)
    host.release()
    assert got == expected
    assert isinstance(host._nvml, LiveNvml)  # after release, NVML is in process again


def test_no_process_to_be_had_means_nvml_in_process(monkeypatch):
    def no_processes():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_processes)
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    assert NvmlProcess(StandIn).start() is False
    if before is not None:
        assert len(os.listdir("/proc/self/fd")) == before  # its pipes were closed again
