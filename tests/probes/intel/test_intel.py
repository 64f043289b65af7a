from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from accelctl.derive import derive
from accelctl.host.fixture import FixtureHost
from accelctl.matrices import MatrixSet
from accelctl.probes.base import ProbeOptions
from accelctl.probes.collect import collect
from accelctl.probes.intel import ids, runtime

HOSTS = Path(__file__).resolve().parents[2] / "fixtures" / "hosts"


def test_families():
    assert [ids.family(d) for d in ("0x0bd5", "0x0bda", "0x56c0", "0x56a0", "0xe20b", "0x9bf6", "0x1234")] == [
        "pvc", "pvc", "flex", "dg2", "bmg", None, None]
    assert ids.is_display("0x038000") and ids.is_display("0x030000") and not ids.is_display("0x060000")


def test_max_node():
    inv = derive(collect(FixtureHost(str(HOSTS / "intel-max-oneapi")), ProbeOptions(), mode="fixture"), MatrixSet())
    i = inv.intel
    assert i.present is True
    assert [(g.pci_bus_id, g.pci_device_id, g.family, g.name, g.driver) for g in i.gpus] == [
        ("0000:29:00.0", "0x0bda", "pvc", "Intel Data Center GPU Max", None),
        ("0000:9a:00.0", "0x0bda", "pvc", "Intel Data Center GPU Max", None)]
    assert (i.gpu_runtime_version, i.gpu_runtime_path, i.level_zero_version) == (
        "1.6.33578", "/usr/lib/x86_64-linux-gnu/libze_intel_gpu.so.1.6.33578", None)
    [o] = i.oneapi
    assert (o.path, o.components, o.latest) == ("/opt/intel/oneapi", {"compiler": "2024.2"}, {"compiler": "2024.2"})
    assert sum(u.fact.endswith(".driver") for u in inv.unknowns) == 2
    assert [(a.vendor, a.arch) for a in inv.accelerators] == [("intel", "pvc"), ("intel", "pvc")]


def test_wheels_take_xpu_torch_only():
    env = SimpleNamespace(prefix="/venv", distributions=[
        SimpleNamespace(name="torch", version="2.7.0+xpu"), SimpleNamespace(name="intel_sycl_rt", version="2025.0.4"),
        SimpleNamespace(name="numpy", version="2.2.0")])
    cpu = SimpleNamespace(prefix="/cpu", distributions=[SimpleNamespace(name="torch", version="2.7.0")])
    assert runtime.wheels([cpu, env]) == ({"intel-sycl-rt": "2025.0.4", "torch": "2.7.0+xpu"}, "/venv")
