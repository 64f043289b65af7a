from __future__ import annotations

import time
from pathlib import Path

from accelctl.derive import derive
from accelctl.host.fixture import FixtureHost
from accelctl.host.live import LiveHost
from accelctl.matrices import MatrixSet
from accelctl.probes import other_accel, probe_named
from accelctl.probes.base import ProbeContext, ProbeOptions
from accelctl.probes.collect import collect

HOSTS = Path(__file__).resolve().parents[2] / "fixtures" / "hosts"


def inventory(name):
    return derive(collect(FixtureHost(str(HOSTS / name)), ProbeOptions(), mode="fixture"), MatrixSet())


def test_tpu_vm():
    inv = inventory("tpu-vm")
    [t] = inv.other_accelerators
    assert (t.vendor, t.kind, t.model, t.devices) == ("google", "tpu", "v3", [f"/dev/accel{i}" for i in range(4)])
    assert [(a.vendor, a.name, a.kind) for a in inv.accelerators] == [("google", "TPU v3", "tpu")] * 4


def test_trn1():
    inv = inventory("trn1")
    [n] = inv.other_accelerators
    assert (n.vendor, n.kind, n.model, n.driver_version, len(n.devices)) == ("aws", "neuron", "trn1", "2.24.7.0", 16)
    assert n.runtime_versions == {"aws-neuronx-collectives": "2.28.27.0", "aws-neuronx-dkms": "2.24.7.0",
                                  "aws-neuronx-runtime-lib": "2.28.23.0", "aws-neuronx-tools": "2.26.14.0"}
    assert len(inv.accelerators) == 16 and {a.arch for a in inv.accelerators} == {"trn1"}


def test_dpkg_status_parser():
    text = "Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: b\nStatus: deinstall ok config-files\nVersion: 2\n"
    assert other_accel.parse_dpkg_status(text, ("a", "b")) == {"a": "1"}


def test_mixed_vendors_make_one_inventory(tmp_path):
    import shutil

    dest = tmp_path / "mixed"
    shutil.copytree(HOSTS / "mi250x", dest, symlinks=True)
    shutil.copytree(HOSTS / "tpu-vm" / "files", dest / "files", dirs_exist_ok=True, symlinks=True)
    inv = derive(collect(FixtureHost(str(dest)), ProbeOptions(), mode="fixture"), MatrixSet())
    assert sorted({a.vendor for a in inv.accelerators}) == ["amd", "google"] and len(inv.accelerators) == 5


def test_this_machine_reports_nothing_false_and_is_quick():
    host = LiveHost()
    ctx = ProbeContext(host, ProbeOptions())
    for probe in map(probe_named, ("amd", "intel", "other_accelerators")):
        start = time.perf_counter()
        value = probe.run(ctx.for_probe(probe.name))
        assert (time.perf_counter() - start) * 1000 < 50
        if probe.name == "other_accelerators":
            assert value == [] or all(v.pci_devices or v.devices for v in value)
        elif not host.exists("/dev/kfd") and not host.is_dir("/sys/bus/pci/drivers/i915"):
            assert value.gpus == []
