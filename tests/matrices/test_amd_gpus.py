from __future__ import annotations

import pytest

from accelctl.matrices import load
from accelctl.matrices.subjects import amd_gpus as A


def entries():
    return load("amd_gpus").entries


def test_loads():
    es = entries()
    assert len(es) >= 40
    assert all(e.provenance.source and e.provenance.read for e in es)
    assert {"gfx906", "gfx908", "gfx90a", "gfx942", "gfx950", "gfx1030", "gfx1100", "gfx1101", "gfx1102", "gfx1200", "gfx1201"} <= {
        e.gfx for e in es
    }


def test_sample_facts():
    by = {e.product: e for e in entries()}
    # ROCm docs/reference/gpu-arch-specs.rst (ROCm/ROCm e396b489): MI300X is CDNA3 gfx942 with 192 GiB
    assert (by["MI300X"].architecture, by["MI300X"].gfx, by["MI300X"].vram_gib) == ("CDNA3", "gfx942", 192)
    # same table: RX 7900 XTX gfx1100, W6600 gfx1032, MI100 gfx908
    assert by["Radeon RX 7900 XTX"].gfx == "gfx1100" and by["Radeon PRO W6600"].gfx == "gfx1032"
    assert by["MI100"].gfx == "gfx908"
    # rocm.docs.amd.com/en/7.13.0-preview/reference/gpu-specs.html: MI355X CDNA4 gfx950, 288 GiB
    assert (by["MI355X"].architecture, by["MI355X"].gfx, by["MI355X"].vram_gib) == ("CDNA4", "gfx950", 288)
    # ROCm 6.4.1 compatibility-matrix.rst footnote: RX 9070 XT gfx1201, RX 9060 XT gfx1200
    assert by["Radeon RX 9070 XT"].gfx == "gfx1201" and by["Radeon RX 9060 XT"].gfx == "gfx1200"
    # pciutils/pciids pci.ids (c1c12547): 74a1 "Aqua Vanjaram [Instinct MI300X]", 75a3 MI355X, 7550 Navi 48 RX 9070
    assert "0x74a1" in by["MI300X"].pci_device_ids and by["MI300X"].pci_chip == "Aqua Vanjaram"
    assert by["MI355X"].pci_device_ids == ["0x75a3"]
    assert "0x7550" in by["Radeon RX 9070 XT"].pci_device_ids
    # Linux kfd_device.c: GC 9.4.3/9.4.4 -> 90402, GC 9.5.0 -> 90500, Aldebaran -> 90010
    assert by["MI300X"].gfx_target_version == 90402
    assert by["MI350X"].gfx_target_version == 90500
    assert by["MI250X"].gfx_target_version == 90010


def test_gfx_target_version_encoding():
    # values copied from kfd_device.c kgd2kfd_probe
    assert A.parse_gfx_target_version(90402) == "gfx942"
    assert A.parse_gfx_target_version(90010) == "gfx90a"
    assert A.parse_gfx_target_version(90012) == "gfx90c"
    assert A.parse_gfx_target_version(100300) == "gfx1030"
    assert A.parse_gfx_target_version(110001) == "gfx1101"
    assert A.parse_gfx_target_version(120001) == "gfx1201"
    assert A.gfx_target_version("gfx90a:sramecc+:xnack-") == 90010
    assert A.parse_hsa_override("11.0.0") == "gfx1100"
    for bad in (0, -1, 91600, True):
        with pytest.raises(ValueError):
            A.parse_gfx_target_version(bad)


def test_queries():
    es = entries()
    assert {e.product for e in A.by_gfx(es, "gfx90a")} == {"MI250X", "MI250", "MI210"}
    assert [e.product for e in A.by_pci_device_id(es, "74A1")] == ["MI300X"]
    assert [e.product for e in A.by_pci_device_id(es, 0x74A1)] == ["MI300X"]
    assert A.by_pci_device_id(es, "not-an-id") == []
    # 0x740c is shared by MI250X and MI250: one target
    assert A.gfx_for_pci_device_id(es, "0x740c") == "gfx90a"
    assert A.gfx_for_pci_device_id(es, "0xffff") is None
    assert A.by_name(es, "AMD Instinct™ MI300X Accelerator").product == "MI300X"
    assert A.by_name(es, "AMD Radeon RX 7900 XTX").product == "Radeon RX 7900 XTX"
    assert A.by_name(es, "Radeon Pro VII").product == "Radeon Pro VII"
    assert A.by_name(es, "Radeon VII").product == "Radeon VII"
    assert A.by_name(es, "MI999") is None
