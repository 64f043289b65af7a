from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.base import ErrorSink
from accelctl.matrices.subjects import cuda_forward_compat as F
from accelctl.matrices.subjects import nvidia_gpus as G

CUDA_GPUS = "https://developer.nvidia.com/cuda-gpus"
LEGACY = "https://developer.nvidia.com/cuda-legacy-gpus"
OGKM = "https://github.com/NVIDIA/open-gpu-kernel-modules/blob/595.45.04/README.md"
SGJ = "https://github.com/alex-tu-cc/get-nvidia-supported-gpus-json/tree/gh-pages"


def entries():
    return load("nvidia_gpus").entries


def test_loads_and_covers_the_asked_models():
    es = entries()
    models = {e.model for e in es}
    assert {"Tesla K80", "Tesla P100", "Tesla V100", "Tesla T4", "A100 SXM4 40GB", "A100 SXM4 80GB", "A100 PCIe 40GB",
            "A100 PCIe 80GB", "A10", "A10G", "A30", "A40", "L4", "L40", "L40S", "H100 PCIe", "H100 SXM5 80GB", "H100 NVL",
            "H200", "GH200", "B100", "B200", "GB200", "B300", "GeForce RTX 5090", "GeForce RTX 5080", "RTX A6000",
            "RTX 6000 Ada Generation", "RTX PRO 6000 Blackwell Server Edition", "Jetson AGX Orin", "GB10"} <= models
    assert all(e.provenance.source and e.provenance.read == "2026-11-22" for e in es)


def test_sample_facts():
    es = entries()
    # CUDA_GPUS: 9.0 NVIDIA H100; 10.0 B200/GB200; 10.3 B300/GB300; 12.1 GB10 (DGX Spark); 8.9 L40S; 8.7 Jetson Orin
    assert G.cc_of(es, "NVIDIA H100 80GB HBM3") == "9.0"
    assert G.cc_of(es, "NVIDIA B200") == "10.0"
    assert G.cc_of(es, "NVIDIA B300 SXM6 AC") == "10.3"
    assert G.cc_of(es, "NVIDIA GB10") == "12.1"
    assert G.cc_of(es, "NVIDIA L40S") == "8.9"
    assert G.by_name(es, "Jetson AGX Orin").cc == "8.7"
    # LEGACY: 7.0 NVIDIA V100, 6.0 Tesla P100
    assert G.cc_of(es, "Tesla V100-SXM2-16GB") == "7.0"
    assert G.cc_of(es, "Tesla P100-PCIE-16GB") == "6.0"
    # OGKM README: "NVIDIA H100 80GB HBM3 | 2330 10DE 16C1", "NVIDIA GeForce RTX 5090 | 2B85", "Tesla T4 | 1EB8 10DE 12A2"
    assert G.by_pci_device_id(es, "0x2330").model == "H100 SXM5 80GB"
    assert G.by_pci_device_id(es, "2B85").nvml_names == ["NVIDIA GeForce RTX 5090"]
    assert G.by_pci_device_id(es, "0x1eb8").nvml_names == ["Tesla T4"]
    # SGJ (driver 525 supported-gpus.json): 0x102D "Tesla K80", legacybranch 470.xx
    k80 = G.by_pci_device_id(es, "0x102d")
    assert k80.nvml_names == ["Tesla K80"] and k80.last_driver_branch == "R470" and k80.cc == "3.7"
    # CUDA_GPUS column "Data Center" for the RTX PRO 6000 Blackwell Server Edition, workstation for the others
    assert G.by_name(es, "NVIDIA RTX PRO 6000 Blackwell Server Edition").segment == "datacenter"
    assert G.by_name(es, "NVIDIA RTX PRO 6000 Blackwell Workstation Edition").segment == "workstation"
    # B100: listed by neither source -> unknown
    b100 = G.by_name(es, "B100")
    assert b100.cc is None and b100.pci_device_ids == [] and b100.provenance.note


def test_by_name_is_tolerant_but_exact():
    es = entries()
    h100 = G.by_name(es, "NVIDIA H100 80GB HBM3")
    assert G.by_name(es, "H100 80GB HBM3") is h100
    assert G.by_name(es, "nvidia h100 80gb hbm3") is h100
    assert G.by_name(es, "  NVIDIA  H100 80GB HBM3 ") is h100
    assert G.by_name(es, "NVIDIA Tesla T4").model == "Tesla T4"  # extra "NVIDIA " prefix
    assert G.by_name(es, "NVIDIA A100-SXM4-40GB MIG 1g.5gb").model == "A100 SXM4 40GB"
    assert G.by_name(es, "NVIDIA A100 SXM4 40GB").model == "A100 SXM4 40GB"  # '-' vs ' '
    assert G.by_name(es, "NVIDIA A100 80GB PCIe").model == "A100 PCIe 80GB"
    assert G.by_name(es, "NVIDIA A100-PCIE-80GB").model == "A100 PCIe 80GB"  # driver 470 spelling
    assert G.by_name(es, "NVIDIA H100").model == "H100 (0x2339)"
    assert G.by_name(es, "NVIDIA H10") is None  # no prefix guessing
    assert G.by_name(es, "") is None


def test_by_pci_device_id_spellings_and_boundaries():
    es = entries()
    for spelling in ("0x2330", "2330", "0X2330", "10de:2330", "0x233010DE", 0x2330):
        assert G.by_pci_device_id(es, spelling).model == "H100 SXM5 80GB", spelling
    assert G.by_pci_device_id(es, "1002:2330") is None  # another vendor
    assert G.by_pci_device_id(es, "0x0000") is None
    assert G.by_pci_device_id(es, "zz") is None
    assert G.by_pci_device_id(es, "0x2342").model == "GH200"  # 120GB and 480GB share the device id
    assert G.cc_of(es, "0x2901") == "10.0"
    assert G.cc_of(es, 0x2E12) == "12.1"
    assert G.cc_of(es, "not a gpu") is None


def test_compat_segment_uses_forward_compat_vocabulary():
    es = entries()
    for e in es:
        if e.segment is not None:
            assert G.compat_segment(e) in F.SEGMENTS
    assert G.compat_segment(G.by_name(es, "NVIDIA GeForce RTX 4090")) == "geforce"
    assert G.compat_segment(G.by_name(es, "Jetson Orin Nano")) == "jetson"
    assert G.compat_segment(G.by_name(es, "NVIDIA L4")) == "datacenter"
    assert G.compat_segment(G.by_name(es, "B100")) is None


def test_models_with_cc():
    es = entries()
    names = {e.model for e in G.models_with_cc(es, "9.0a")}
    assert {"H100 PCIe", "H200", "GH200"} <= names
    assert not any(e.model == "B200" for e in G.models_with_cc(es, "9.0"))


def test_check_rejects_duplicates_and_bad_ids():
    a = G.GpuModel(model="X", segment="datacenter", nvml_names=["NVIDIA X"], pci_device_ids=["0x1234"])
    b = G.GpuModel(model="Y", segment="space", nvml_names=["nvidia x"], pci_device_ids=["0x1234", "1235"])
    sink = ErrorSink("t", ["X", "Y"])
    G._check([a, b], sink)
    text = "\n".join(sink.problems)
    assert "segment" in text and "also a name of" in text and "also listed for" in text and "'1235'" in text


def test_cc_for_names_people_type():
    from accelctl.matrices import load
    from accelctl.matrices.subjects.nvidia_gpus import cc_for_name

    entries = load("nvidia_gpus").entries
    # developer.nvidia.com/cuda-gpus: RTX 5090 12.0, H100 9.0, A100 8.0, V100 7.0, T4 7.5
    assert [cc_for_name(entries, q) for q in ("RTX 5090", "H100", "A100", "V100", "T4")] == ["12.0", "9.0", "8.0", "7.0", "7.5"]
    assert cc_for_name(entries, "RTX") is None  # several architectures: no guess
    assert cc_for_name(entries, "NVIDIA H100 80GB HBM3") == "9.0"


def test_plan_and_assume_take_short_names():
    from tests.conftest import run_cli

    code, out, _ = run_cli(["plan", "torch", "--driver", "535.104.05", "--gpu", "RTX 5090"])
    assert code == 1 and "sm_120" in out
