"""SIGTERM ends gate and fleet cleanly: the image's temporary folder is removed and no worker outlives the run."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from tests.conftest import REPO
from tests.hostile import _empty_layer, fleet_yaml, oci_archive


def _start(code: str, tmp) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO), TMPDIR=str(tmp))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(condition, seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_sigterm_during_gate_removes_the_image_folder(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    image = oci_archive(tmp_path / "img.tar", [gzip.compress(_empty_layer())])
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(fleet_yaml())
    # The layer read is made to stall, as a large image on a slow disk does, once the folder exists.
    proc = _start(f"""
        import time
        import accelctl.gate.image as image
        def slow(stream):
            time.sleep(60)
        image._maybe_gunzip = slow
        from accelctl.cli import main
        main(["gate", "--fleet", {str(fleet)!r}, "--image", {str(image)!r}])
    """, tmp)
    try:
        _wait_for(lambda: any(n.startswith("accelctl-image-") for n in os.listdir(tmp)))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM and "interrupted" in err and "Traceback" not in err
    assert os.listdir(tmp) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_fleet_jobs_ends_every_worker(tmp_path, signum):
    from tests.builders import make_inventory

    folder = tmp_path / "nodes"
    folder.mkdir()
    for i in range(8):
        (folder / f"n{i}.json").write_text(make_inventory(driver="580.159.04").to_json())
    # Workers that stall on their first node, as on a wedged network file system.
    proc = _start(f"""
        import time
        import accelctl.fleet_check as fleet_check
        def stall(paths):
            time.sleep(120)
        fleet_check._worker_check = stall
        from accelctl.cli import main
        main(["fleet", {str(folder)!r}, "--jobs", "2"])
    """, tmp_path)
    try:
        parent = psutil.Process(proc.pid)
        _wait_for(lambda: len(parent.children(recursive=True)) >= 2)
        workers = parent.children(recursive=True)
        time.sleep(0.3)  # the workers are running their first chunk
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signum and "interrupted" in err
    _, alive = psutil.wait_procs(workers, timeout=5)
    assert alive == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_doctor_ends_every_command_it_started(tmp_path, signum):
    from tests.host.test_deadline import wedged_machine

    env = wedged_machine(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "accelctl", "doctor", "--json"], env=env, cwd=str(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        parent = psutil.Process(proc.pid)

        def wedged_tools() -> list[psutil.Process]:
            found = []
            for child in parent.children(recursive=True):
                try:
                    if child.name() == "sleep":
                        found.append(child)
                except psutil.Error:
                    continue
            return found

        _wait_for(lambda: len(wedged_tools()) >= 2)  # a wedged tool and the child it started
        tools = wedged_tools()
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signum and "interrupted" in err and "Traceback" not in err
    _, alive = psutil.wait_procs(tools, timeout=5)
    assert alive == []

    def of_this_run(process: psutil.Process) -> bool:  # whatever started with this run's environment
        try:
            return process.environ().get("CUDA_HOME") == env["CUDA_HOME"] and process.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    assert [p for p in psutil.process_iter() if of_this_run(p)] == []
