"""A run has one deadline: commands, vendor-library calls and probes shrink to what is left of it, what it stops
becomes an unknown naming it, and the report is still printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accelctl.errors import UsageError
from accelctl.host.commands import run_within
from accelctl.host.deadline import DEADLINE_VAR, DEFAULT_DEADLINE_S, Deadline, deadline_seconds
from accelctl.host.device_process import DeviceProcess
from accelctl.host.filesystem import FileSystemHost
from accelctl.host.live import LiveHost
from accelctl.probes import all_probes
from accelctl.probes.base import Probe, ProbeContext, ProbeOptions
from accelctl.probes.collect import collect
from accelctl.probes.runner import DEADLINE_GRACE_S, run_probes
from tests.conftest import REPO, run_cli


def test_the_deadline_comes_from_the_environment():
    assert deadline_seconds({}) == DEFAULT_DEADLINE_S == 30.0
    assert deadline_seconds({DEADLINE_VAR: " 7.5 "}) == 7.5


@pytest.mark.parametrize("value", ["soon", "0", "-3", "inf", "nan"])
def test_a_deadline_that_is_not_a_positive_number_is_a_usage_error(value, monkeypatch):
    with pytest.raises(UsageError, match=DEADLINE_VAR):
        deadline_seconds({DEADLINE_VAR: value})
    monkeypatch.setenv(DEADLINE_VAR, value)
    code, out, err = run_cli(["doctor", "--json"])
    assert code == 2 and out == "" and DEADLINE_VAR in err and "Traceback" not in err


def test_a_command_shrinks_to_the_time_left_and_says_the_deadline_stopped_it():
    deadline = Deadline.after(0.5)
    start = time.monotonic()
    result = run_within(["sleep", "30"], 10.0, deadline)
    assert time.monotonic() - start < 3.0
    assert result.timed_out and "stopped after" in result.why_failed() and DEADLINE_VAR in result.why_failed()
    later = run_within(["sleep", "30"], 10.0, deadline)  # started after it passed: not run at all
    assert later.timed_out and later.why_failed() == (
        f"sleep was not run: the run's 0.5 s deadline ({DEADLINE_VAR}) had passed")


def test_a_command_that_finishes_in_time_is_untouched():
    result = run_within(["sh", "-c", "echo fine"], 5.0, Deadline.after(10.0))
    assert result.ok and result.stdout == "fine\n" and not result.stopped_by


def test_a_vendor_library_call_waits_no_longer_than_the_run():
    library = DeviceProcess("NVML", deadline=30.0, backend="tests.host.standin:StandIn",
                            run_deadline=Deadline.after(1.5))
    try:
        assert library.call("nvmlSystemGetDriverVersion") == "580.159.04"
        start = time.monotonic()
        with pytest.raises(Exception, match=f"hang was stopped after .* by the run's 1.5 s deadline \\({DEADLINE_VAR}\\)"):
            library.call("hang")
        assert time.monotonic() - start < 4.0
    finally:
        library.close()


def test_a_probe_still_busy_at_the_deadline_is_left_behind_and_the_others_still_run(tmp_path):
    def wedged(ctx):
        time.sleep(30)  # a read on a hung file system: nothing the host can stop

    host = FileSystemHost(str(tmp_path), deadline=Deadline.after(0.5))
    ctx = ProbeContext(host, ProbeOptions())
    start = time.monotonic()
    sections, runs = run_probes([Probe("stuck", "stuck", wedged, timeout=20.0),
                                 Probe("after", "after", lambda c: "seen", timeout=20.0)], ctx)
    assert time.monotonic() - start < 0.5 + DEADLINE_GRACE_S + 1.5
    assert [(r.name, r.status) for r in runs] == [("stuck", "timeout"), ("after", "ok")]
    assert sections == {"after": "seen"}
    [lost] = ctx.unknowns
    assert (lost.probe, lost.fact) == ("stuck", "*") and DEADLINE_VAR in lost.reason


def wedged_machine(folder: Path) -> dict[str, str]:
    """An environment whose tools all hang: nvidia-smi, a host compiler, hl-smi, and three CUDA toolkits whose
    nvcc never answers (found through CUDA_HOME, CUDA_PATH and PATH)."""
    hang = "#!/bin/sh\nsleep 600 &\nexec sleep 601\n"  # and a child of its own, which must go too
    tools = folder / "bin"
    tools.mkdir()
    for name in ("nvidia-smi", "gcc", "hl-smi", "rocminfo", "ldconfig", "amd-smi", "xpu-smi"):
        (tools / name).write_text(hang)
        (tools / name).chmod(0o755)
    for toolkit in ("cuda-a", "cuda-b", "cuda-c"):
        (folder / toolkit / "bin").mkdir(parents=True)
        (folder / toolkit / "targets").mkdir()
        (folder / toolkit / "bin" / "nvcc").write_text(hang)
        (folder / toolkit / "bin" / "nvcc").chmod(0o755)
    return {**os.environ, "PYTHONPATH": str(REPO), "PATH": f"{folder / 'cuda-c' / 'bin'}:{tools}:{os.environ['PATH']}",
            "CUDA_HOME": str(folder / "cuda-a"), "CUDA_PATH": str(folder / "cuda-b")}


def test_a_machine_of_wedged_tools_gets_its_report_within_the_deadline(tmp_path):
    env = {**wedged_machine(tmp_path), DEADLINE_VAR: "3"}
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "accelctl", "doctor", "--json"], capture_output=True, text=True,
                          env=env, cwd=str(tmp_path), timeout=60, check=False)
    took = time.monotonic() - start
    assert done.returncode in (0, 1), done.stderr
    assert took < 3 + 3.0, f"{took:.1f} s"  # the deadline, the grace, and the interpreter's start and report
    inventory = json.loads(done.stdout)["inventory"]
    lost = [u for u in inventory["unknowns"] if DEADLINE_VAR in u["reason"]]
    assert lost, inventory["unknowns"]  # which facts were lost, and why
    assert {r["name"]: r["status"] for r in inventory["probes"]}["nvidia"] == "partial"  # the section is kept
    assert inventory["python"], "the other sections are there"


def test_wedged_tools_wait_side_by_side_so_they_cost_one_command_timeout(tmp_path):
    env = wedged_machine(tmp_path)  # nvidia-smi, gcc and three nvcc that never answer
    nvidia = [p for p in all_probes() if p.name == "nvidia"]
    start = time.monotonic()
    inventory = collect(LiveHost(env, deadline=Deadline.after(30.0)), ProbeOptions(command_timeout=1.0),
                        probes=nvidia)
    took = time.monotonic() - start
    waited = [u for u in inventory.unknowns if "did not answer within 1.0 s" in u.reason]
    tools = [u.reason.split(" ")[0].removeprefix(f"{tmp_path}/") for u in waited]
    assert tools == ["nvidia-smi", "cuda-a/bin/nvcc", "bin/gcc", "cuda-b/bin/nvcc", "cuda-c/bin/nvcc"]  # read back in order
    assert took < 2.5, f"{took:.1f} s for {len(waited)} tools of 1 s each"  # one after another: 5 s
    assert not [u for u in inventory.unknowns if DEADLINE_VAR in u.reason]  # their own timeouts stopped them
