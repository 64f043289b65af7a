from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from accelctl.host.fixture import FixtureHost
from accelctl.probes.base import ProbeOptions
from accelctl.probes.collect import collect

HOSTS = Path(__file__).resolve().parents[2] / "fixtures" / "hosts"
SITE = "/opt/torch/.venv/lib/python3.12/site-packages"


def inventory(folder, timeout=5.0):
    return collect(FixtureHost(str(folder)), ProbeOptions(command_timeout=timeout), mode="fixture")


@pytest.fixture(scope="module")
def h100():
    return inventory(HOSTS / "h100-node")


def copy_with(tmp_path, nvml=None, commands=None):
    dest = tmp_path / "host"
    shutil.copytree(HOSTS / "h100-node", dest, symlinks=True)
    if nvml is not None:
        (dest / "nvml.json").write_text(json.dumps(nvml))
    if commands is not None:
        (dest / "commands.json").write_text(json.dumps(commands))
    return dest


def test_h100_driver(h100):
    d = h100.nvidia.driver
    assert (d.version, d.version_source, d.cuda_driver_version) == ("580.159.04", "NVML", "13.0")
    assert (d.kernel_module_version, d.kernel_module_flavor) == ("580.159.04", "open")
    assert (d.libcuda_version, d.libcuda_path) == ("580.159.04", "/usr/local/nvidia/lib64/libcuda.so.580.159.04")
    assert d.userspace_mismatch is False and d.nvml_error is None and d.status == "loaded"


def test_h100_gpu(h100):
    [g] = h100.nvidia.gpus
    assert (g.name, g.compute_capability, g.mig_mode, g.memory_mib) == ("NVIDIA H100 80GB HBM3", "9.0", "disabled", 81559)
    assert (g.pci_bus_id, g.pci_device_id, g.ecc_enabled, g.persistence_mode, g.brand) == (
        "00000000:00:06.0", "0x2330", True, True, "nvidia")
    assert h100.nvidia.nvswitch_present is False


def test_h100_toolkit(h100):
    [t] = h100.nvidia.toolkits
    assert (t.path, t.version, t.active, t.active_because) == ("/usr/local/cuda-13.0", "13.0.88", True, "CUDA_HOME=/usr/local/cuda")
    assert (t.compat_version, t.cudart_version) == ("580.95.05", "13.0.96")


def test_h100_libraries(h100):
    found = {(lib.name, lib.path): lib for lib in h100.nvidia.libraries}
    assert found[("cudnn", "/usr/lib/x86_64-linux-gnu/libcudnn.so.9.14.0")].version == "9.14.0"
    assert found[("nccl", "/usr/lib/x86_64-linux-gnu/libnccl.so.2.28.3")].version == "2.28.3"
    wheel_cudnn = found[("cudnn", f"{SITE}/nvidia/cudnn/lib/libcudnn.so.9")]
    assert (wheel_cudnn.version, wheel_cudnn.provider, wheel_cudnn.header_version) == ("9.19.0.56", "nvidia-cudnn-cu13", "9.19.0")
    wheel_nccl = found[("nccl", f"{SITE}/nvidia/nccl/lib/libnccl.so.2")]
    assert (wheel_nccl.version, wheel_nccl.header_version) == ("2.28.9", "2.28.9")


def test_h100_torch_loads_what_ldd_said(h100):
    # capture.txt `ldd libtorch_cuda.so`: every one of these comes from the wheels, via RPATH
    alone = [r for r in h100.nvidia.resolutions if r.consumer == "torch" and not r.loaded_after]
    got = {r.soname: (r.resolved_path, r.resolved_via, r.shadowed) for r in alone if "_" not in r.soname}
    assert got == {
        "libcudart.so.13": (f"{SITE}/nvidia/cu13/lib/libcudart.so.13", "RPATH", False),
        "libcublas.so.13": (f"{SITE}/nvidia/cu13/lib/libcublas.so.13", "RPATH", False),
        "libcublasLt.so.13": (f"{SITE}/nvidia/cu13/lib/libcublasLt.so.13", "RPATH", False),
        "libcudnn.so.9": (f"{SITE}/nvidia/cudnn/lib/libcudnn.so.9", "RPATH", False),
        "libnccl.so.2": (f"{SITE}/nvidia/nccl/lib/libnccl.so.2", "RPATH", False),
        "libcusparseLt.so.0": (f"{SITE}/nvidia/cusparselt/lib/libcusparseLt.so.0", "RPATH", False),
    }
    cudnn = next(r for r in alone if r.soname == "libcudnn.so.9")
    assert cudnn.resolved_version == "9.19.0.56"
    assert "/lib/x86_64-linux-gnu/libcudnn.so.9 (ld.so.cache)" in cudnn.candidates
    # the fixture's libcudnn.so.9 is an empty file: its RUNPATH is unknown, so its dlopens are undecided
    assert not any(r.shadowed for r in h100.nvidia.resolutions)
    assert any(u.fact == "nvidia.resolution.torch.libcudnn.so.9" for u in h100.unknowns)
    graph = next(r for r in alone if r.soname == "libcudnn_graph.so.9")
    assert graph.undecided and "libcudnn.so.9 is unreadable" in graph.undecided
    assert cudnn.undecided is None


def test_h100_container_view(h100):
    v = h100.nvidia.container
    assert (v.require_met, v.require_disabled) == (True, False)
    assert (v.compat_version, v.compat_in_use, v.compat_ok) == ("580.95.05", False, True)


def test_h100_no_nvidia_smi_when_nvml_answers(tmp_path):
    folder = copy_with(tmp_path, commands={"nvidia-smi *": {"exec": ["sleep", "30"]},
                                           "nvcc --version": {"returncode": 0, "stdout": "release 13.0, V13.0.88"}})
    start = time.monotonic()
    inv = inventory(folder, timeout=3.0)
    assert time.monotonic() - start < 2.5
    assert not [u for u in inv.unknowns if "nvidia-smi" in u.reason]


def test_nvml_mismatch(tmp_path):
    folder = copy_with(tmp_path, nvml={"nvmlInit []": {"error": {"code": 18, "message": "Driver/library version mismatch"}}})
    (folder / "files/usr/local/nvidia/lib64/libcuda.so.1").unlink()
    (folder / "files/usr/local/nvidia/lib64/libcuda.so.1").symlink_to("libcuda.so.580.95.05")
    (folder / "files/usr/local/nvidia/lib64/libcuda.so.580.95.05").write_bytes(b"")
    d = inventory(folder).nvidia.driver
    assert (d.nvml_error, d.nvml_error_code, d.userspace_mismatch) == ("Driver/library version mismatch", 18, True)
    assert (d.kernel_module_version, d.libcuda_version) == ("580.159.04", "580.95.05")


def test_hanging_nvidia_smi_costs_its_timeout(tmp_path):
    folder = copy_with(tmp_path, nvml={"__unavailable__": "NVML is not there"},
                       commands={"nvidia-smi *": {"exec": ["sleep", "30"]}})
    start = time.monotonic()
    inv = inventory(folder, timeout=1.0)
    assert time.monotonic() - start < 4.0
    [reason] = [u.reason for u in inv.unknowns if u.fact == "nvidia.nvidia_smi"]
    assert "did not answer within" in reason
    assert inv.nvidia.driver.version == "580.159.04"  # from /proc
    assert inv.nvidia.gpus[0].name == "NVIDIA H100 80GB HBM3"  # from /proc/driver/nvidia/gpus


def test_nvidia_smi_fallback_gives_cuda_version(tmp_path):
    folder = copy_with(tmp_path, nvml={"__unavailable__": "NVML is not there"})
    d = inventory(folder).nvidia.driver
    assert (d.version, d.cuda_driver_version, d.cuda_driver_version_source) == ("580.159.04", "13.0", "nvidia-smi")


def test_ld_library_path_shadowing_under_runpath_is_detected(tmp_path):
    """With RPATH (what torch ships) LD_LIBRARY_PATH cannot win; the system copy only shadows via the preload."""
    folder = copy_with(tmp_path)
    env = json.loads((folder / "env.json").read_text())
    env["LD_PRELOAD"] = "/usr/lib/x86_64-linux-gnu/libcudnn.so.9"
    (folder / "env.json").write_text(json.dumps(env))
    cudnn = next(r for r in inventory(folder).nvidia.resolutions if r.library == "cudnn")
    assert (cudnn.resolved_path, cudnn.resolved_version, cudnn.shadowed) == (
        "/usr/lib/x86_64-linux-gnu/libcudnn.so.9.14.0", "9.14.0", True)


def test_toolkit_without_driver():
    n = inventory(HOSTS / "cuda-toolkit-no-driver").nvidia
    assert n.driver.status == "no driver loaded" and n.present is False and n.gpus == []
    [t] = n.toolkits
    assert (t.path, t.version, t.active, t.active_because) == ("/usr/local/cuda-13.0", "13.0.88", True, "nvcc on PATH")
