"""A faulty libnvidia-ml.so.1 first on LD_LIBRARY_PATH (on a machine with no NVIDIA device) costs the doctor only
the NVML facts: it still finishes, prints its JSON report with an unknown that names NVML, and exits honestly.

Each library is a real shared object built with the C compiler; without one these tests are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

CC = shutil.which("cc") or shutil.which("gcc")
pytestmark = pytest.mark.skipif(CC is None, reason="needs a C compiler to build the faulty libraries")

_EXPORTS = """
int nvmlInitWithFlags(unsigned int flags) { %(init)s return 0; }
int nvmlInit_v2(void) { return nvmlInitWithFlags(0); }
int nvmlShutdown(void) { return 0; }
int nvmlDeviceGetCount_v2(unsigned int *count) { *count = 0; return 0; }
int nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    const char garbage[] = "\\xff\\xfe\\x80 550";
    for (unsigned int i = 0; i < length && i < sizeof garbage; i++) version[i] = garbage[i];
    return 0;
}
"""
_HEAD = "#include <stdlib.h>\n#include <unistd.h>\n#include <signal.h>\n"

FAULTS = {
    "segfault-in-constructor": ("__attribute__((constructor)) static void f(void) { raise(SIGSEGV); }", ""),
    "abort-in-constructor": ("__attribute__((constructor)) static void f(void) { abort(); }", ""),
    "exit-0-in-constructor": ("__attribute__((constructor)) static void f(void) { _exit(0); }", ""),
    "loop-in-constructor": ("__attribute__((constructor)) static void f(void) { for (;;) pause(); }", ""),
    "nvmlInit-hangs": ("", "for (;;) pause();"),
    "garbage-strings": ("", ""),
}


def build(folder: Path, fault: str) -> Path:
    constructor, init = FAULTS[fault]
    source = folder / "fake_nvml.c"
    source.write_text(_HEAD + constructor + _EXPORTS % {"init": init})
    subprocess.run([CC, "-shared", "-fPIC", "-o", str(folder / "libnvidia-ml.so.1"), str(source)], check=True,
                   capture_output=True)
    return folder


@pytest.mark.skipif(os.path.exists("/dev/nvidiactl"), reason="a real NVIDIA driver is here")
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_faulty_nvml_costs_only_the_nvml_facts(tmp_path, fault):
    folder = build(tmp_path, fault)
    env = {**os.environ, "LD_LIBRARY_PATH": f"{folder}:{os.environ.get('LD_LIBRARY_PATH', '')}",
           "ACCELCTL_DEVICE_TIMEOUT": "2", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "accelctl", "doctor", "--json"], capture_output=True, text=True,
                          env=env, cwd=str(tmp_path), timeout=60, check=False)
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    nvml = [u for u in report["inventory"]["unknowns"] if u["fact"] == "nvidia.nvml"]
    assert nvml and "NVML" in nvml[0]["reason"], report["inventory"]["unknowns"]
    assert report["inventory"]["python"], "the other sections are still there"
    assert {r["name"]: r["status"] for r in report["inventory"]["probes"]}["nvidia"] != "timeout"


@pytest.mark.skipif(os.path.exists("/dev/nvidiactl"), reason="a real NVIDIA driver is here")
@pytest.mark.parametrize("fault", ["nvmlInit-hangs", "loop-in-constructor"])
def test_a_hanging_nvml_costs_its_facts_within_the_run_deadline(tmp_path, fault):
    # NVML's own wait (20 s by default) is longer than the run's deadline: the deadline wins.
    folder = build(tmp_path, fault)
    env = {**os.environ, "LD_LIBRARY_PATH": f"{folder}:{os.environ.get('LD_LIBRARY_PATH', '')}",
           "ACCELCTL_DEADLINE": "3", "PYTHONPATH": str(REPO)}
    env.pop("ACCELCTL_DEVICE_TIMEOUT", None)
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "accelctl", "doctor", "--json"], capture_output=True, text=True,
                          env=env, cwd=str(tmp_path), timeout=60, check=False)
    assert time.monotonic() - start < 3 + 3.0
    assert done.returncode in (0, 1), done.stderr
    inventory = json.loads(done.stdout)["inventory"]
    [nvml] = [u for u in inventory["unknowns"] if u["fact"] == "nvidia.nvml"]
    assert "NVML" in nvml["reason"] and "ACCELCTL_DEADLINE" in nvml["reason"]
    assert {r["name"]: r["status"] for r in inventory["probes"]}["nvidia"] == "partial"
    assert inventory["nvidia"]["driver"] is not None and inventory["python"]


@pytest.mark.skipif(os.path.exists("/dev/nvidiactl"), reason="a real NVIDIA driver is here")
def test_sigterm_while_nvml_hangs_ends_its_process(tmp_path):
    import signal

    import psutil

    folder = build(tmp_path, "nvmlInit-hangs")
    env = {**os.environ, "LD_LIBRARY_PATH": f"{folder}:{os.environ.get('LD_LIBRARY_PATH', '')}",
           "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "accelctl", "doctor", "--json"], env=env, cwd=str(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        parent = psutil.Process(proc.pid)
        end = time.monotonic() + 20
        while not parent.children() and time.monotonic() < end:
            time.sleep(0.05)
        children = parent.children(recursive=True)
        assert children, "NVML's process started"
        time.sleep(0.5)  # inside nvmlInit by now
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM and "interrupted" in err
    _, alive = psutil.wait_procs(children, timeout=5)
    assert alive == []
