from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

from accelctl.derive.accelerators import summarize_accelerators
from accelctl.derive.amd import named_gpus
from accelctl.host.fixture import FixtureHost
from accelctl.matrices.subjects.amd_gpus import AmdGpu
from accelctl.probes.amd import kfd, rocm
from accelctl.probes.base import ProbeOptions
from accelctl.probes.collect import collect

HOSTS = Path(__file__).resolve().parents[2] / "fixtures" / "hosts"


def inventory(folder):
    return collect(FixtureHost(str(folder)), ProbeOptions(), mode="fixture")


def test_gfx_encoding():
    assert [kfd.gfx_from_target_version(v) for v in (90402, 100300, 110000, 90010, 0, None)] == [
        "gfx942", "gfx1030", "gfx1100", "gfx90a", None, None]
    assert [kfd.gfx_from_override(v) for v in ("11.0.0", "10.3.0", "9.4.2", "11", "x.y.z")] == [
        "gfx1100", "gfx1030", "gfx942", None, None]


def test_properties_and_bus_id():
    props = kfd.parse_properties("simd_count 1216\nlocation_id 18176\ndomain 0\njunk\nname ip discovery\n")
    assert props == {"simd_count": 1216, "location_id": 18176, "domain": 0}
    assert kfd.KfdNode(2, props).pci_bus_id == "0000:47:00.0"


def test_version_parsers():
    assert rocm.parse_info_version("6.2.0-66\n") == "6.2.0"
    assert rocm.parse_header_version("#define HIP_VERSION_MAJOR 6\n#define HIP_VERSION_MINOR 3\n#define HIP_VERSION_PATCH 42134\n",
                                     "HIP_VERSION_") == "6.3.42134"
    assert rocm.version_from_file_name("librocblas.so.4.3.60303") == "4.3.60303"


def test_mi300x_from_amdsmi():
    inv = inventory(HOSTS / "mi300x-rocm6")
    a = inv.amd
    assert (a.present, a.source, a.driver_version, a.driver_kind, a.kfd_present, a.source_note) == (
        True, "amdsmi", "6.10.5", "dkms", True, None)
    [g] = a.gpus
    assert (g.name, g.gfx_target, g.gfx_target_version, g.pci_device_id, g.pci_bus_id, g.kfd_node, g.compute_units,
            g.render_node) == ("AMD Instinct MI300X", "gfx942", 90402, "0x74a1", "0000:47:00.0", 2, 304, "/dev/dri/renderD128")
    [r] = a.rocm
    assert (r.path, r.version, r.version_source, r.active, r.active_because) == (
        "/opt/rocm-6.3.3", "6.3.3", "folder name", True, "/opt/rocm link")
    assert r.components == {"hip": "6.3.60303", "rocblas": "4.3.60303", "hipblaslt": "0.10.60303"}
    assert (a.kfd_access, a.render_access) == (None, None)  # a recording cannot say
    assert [(x.vendor, x.name, x.arch) for x in summarize_accelerators(inv)] == [("amd", "AMD Instinct MI300X", "gfx942")]


def _copy(tmp_path, amdsmi):
    dest = tmp_path / "host"
    shutil.copytree(HOSTS / "mi300x-rocm6", dest, symlinks=True)
    if amdsmi is None:
        (dest / "amdsmi.json").unlink()
    else:
        (dest / "amdsmi.json").write_text(json.dumps(amdsmi))
    return dest


def test_mi300x_amdsmi_absent_falls_back_to_sysfs(tmp_path):
    inv = inventory(_copy(tmp_path, None))
    a = inv.amd
    assert a.source == "sysfs" and a.source_note.startswith("amdsmi is not available")
    [g] = a.gpus
    assert (g.name, g.gfx_target, g.pci_device_id, g.pci_bus_id, g.compute_units, g.source) == (
        None, "gfx942", "0x74a1", "0000:47:00.0", 304, "sysfs")
    assert any(u.fact == "amd.amdsmi" for u in inv.unknowns)
    assert [(x.name, x.arch) for x in summarize_accelerators(inv)] == [("AMD GPU", "gfx942")]


def test_mi300x_amdsmi_failing_falls_back_to_sysfs(tmp_path):
    inv = inventory(_copy(tmp_path, {"amdsmi_init []": {"error": {"code": 34, "message": "AMDSMI_STATUS_DRM_ERROR"}}}))
    a = inv.amd
    assert a.source == "sysfs"
    assert a.source_note == "amdsmi failed to load or initialise (AMDSMI_STATUS_DRM_ERROR); GPUs read from sysfs"
    assert [g.gfx_target for g in a.gpus] == ["gfx942"]


def test_mi250x_sysfs_only():
    a = inventory(HOSTS / "mi250x").amd
    assert (a.source, a.driver_version, a.rocm) == ("sysfs", "6.10.5", [])
    [g] = a.gpus
    assert (g.gfx_target, g.gfx_target_version, g.pci_device_id, g.pci_bus_id, g.kfd_node, g.compute_units) == (
        "gfx90a", 90010, "0x740c", "0000:93:00.0", 15, None)


def test_rx7900_override_and_inbox_driver():
    inv = inventory(HOSTS / "rx7900-hsa-override")
    a = inv.amd
    assert (a.source, a.driver_version, a.driver_kind) == ("sysfs", None, "inbox")
    assert a.source_note.startswith("amdsmi failed to load or initialise (cannot load: libamd_smi.so")
    assert (a.hsa_override_gfx_version, a.override_gfx_target, a.env) == (
        "11.0.0", "gfx1100", {"HSA_OVERRIDE_GFX_VERSION": "11.0.0"})
    [g] = a.gpus
    assert (g.gfx_target, g.pci_device_id, g.pci_bus_id, g.compute_units) == ("gfx1100", "0x744c", "0000:86:00.0", 96)


def test_matrix_names_are_derived_where_the_driver_gave_none():
    [g] = inventory(HOSTS / "rx7900-hsa-override").amd.gpus
    assert g.name is None
    entry = AmdGpu(product="Radeon RX 7900 XTX", segment="radeon", gfx="gfx1100", pci_device_ids=["0x744c"])
    [named] = named_gpus([g], [entry])
    assert (named.name, named.name_source) == ("Radeon RX 7900 XTX", "matrix amd_gpus")
    assert named_gpus([named], []) == [g]  # a matrix name is looked up again, never kept stale


def test_bundled_rocm_in_torch(tmp_path):
    from accelctl.host.filesystem import FileSystemHost

    lib = tmp_path / "venv/lib/python3.12/site-packages/torch/lib"
    lib.mkdir(parents=True)
    for n in ("libamdhip64.so", "librccl.so", "libtorch_hip.so"):
        (lib / n).write_text("")
    penv = SimpleNamespace(site_packages=["/venv/lib/python3.12/site-packages"],
                           distributions=[SimpleNamespace(name="torch", version="2.5.1+rocm6.2")])
    [b] = rocm.bundled(FileSystemHost(str(tmp_path)), [penv])
    assert (b.version, b.libraries) == ("2.5.1+rocm6.2", {"libamdhip64.so": "", "librccl.so": ""})
