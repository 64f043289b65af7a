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
    assert all(e.provenance.source and e.provenance.read in ("2026-11-22", "2026-12-05") for e in es)


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
    a = G.GpuModel(model="X", segment="datacenter", cc="8.0", nvml_names=["NVIDIA X"], pci_device_ids=["0x1234"])
    b = G.GpuModel(model="Y", segment="space", cc="9.0", nvml_names=["nvidia x"], pci_device_ids=["0x1234", "1235"])
    sink = ErrorSink("t", ["X", "Y"])
    G._check([a, b], sink)
    text = "\n".join(sink.problems)
    assert "segment" in text and "also a name of" in text and "also listed for" in text and "'1235'" in text
    # one driver name on several device ids of one compute capability (desktop and laptop boards) is fine
    c = G.GpuModel(model="Z", cc="8.0", nvml_names=["NVIDIA X"], pci_device_ids=["0x1236"])
    sink = ErrorSink("t", ["X", "Z"])
    G._check([a, c], sink)
    assert sink.problems == []


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


# The names nvidia-smi prints for GPUs the matrix once missed, and their compute capability in NVIDIA's CUDA GPUs
# tables (developer.nvidia.com/cuda-gpus and /cuda-legacy-gpus: GTX 1080 Ti, TITAN Xp, Tesla P40/P4 6.1; V100 7.0;
# RTX 50 series 12.0; Tesla M60/M40, GTX 980 Ti 5.2; H100 9.0; A100 8.0). Old drivers print GeForce names without
# "NVIDIA ".
NVIDIA_SMI_NAMES = {
    "NVIDIA GeForce GTX 1080 Ti": "6.1", "GeForce GTX 1080 Ti": "6.1", "Tesla P40": "6.1", "Tesla P4": "6.1",
    "TITAN Xp": "6.1", "NVIDIA TITAN Xp": "6.1", "Tesla V100-PCIE-16GB": "7.0", "NVIDIA GeForce RTX 5070 Ti": "12.0",
    "NVIDIA GeForce RTX 5060": "12.0", "NVIDIA GeForce RTX 5090 D": "12.0", "Tesla M60": "5.2", "Tesla M40": "5.2",
    "NVIDIA GeForce GTX 980 Ti": "5.2", "NVIDIA H100 80GB HBM3": "9.0", "NVIDIA A100-SXM4-80GB": "8.0",
}


def test_names_as_nvidia_smi_prints_them():
    es = entries()
    got = {name: G.cc_for_name(es, name) for name in NVIDIA_SMI_NAMES}
    assert got == NVIDIA_SMI_NAMES
    assert G.cc_for_name(es, "nvidia geforce gtx 1080  ti") == "6.1"  # case and spaces
    assert G.cc_for_name(es, "NVIDIA GeForce RTX 2080 Rev. A") == "7.5"  # pci.ids's board revision


def test_names_the_driver_reports_for_a_device_id():
    es = entries()
    # open-gpu-kernel-modules README (595.45.04): "NVIDIA GeForce RTX 2080 with Max-Q Design | 1E90 1025 1375",
    # "NVIDIA GeForce RTX 5060 Laptop GPU | 2D19"; pci.ids: 1e90 TU104M, 2d19 GB206M
    assert G.cc_for_name(es, "NVIDIA GeForce RTX 2080 with Max-Q Design") == "7.5"
    assert "NVIDIA GeForce RTX 5060 Laptop GPU" in G.by_pci_device_id(es, "0x2d19").nvml_names
    assert G.cc_for_name(es, "NVIDIA GeForce RTX 5060 Laptop GPU") == "12.0"


def test_a_name_shared_by_chips_of_different_or_unknown_capability_is_not_guessed():
    es = entries()
    # pci.ids: 11c7 "GK106 [GeForce GTX 750 Ti]" and 1380 "GM107 [GeForce GTX 750 Ti]"
    assert {e.chip for e in G.candidates(es, "GeForce GTX 750 Ti")} >= {"GK106", "GM107"}
    assert G.cc_for_name(es, "NVIDIA GeForce GTX 750 Ti") is None
    assert G.cc_for_pci_id(es, "0x1380") == "5.0"
    # "GeForce GT 1030" is a GK107 and a GP108 device; no NVIDIA table read lists a GP108 GPU
    assert G.cc_for_name(es, "NVIDIA GeForce GT 1030") is None


def test_unknown_name_resolves_by_pci_device_id():
    es = entries()
    assert G.by_name(es, "NVIDIA Graphics Device") is None
    # pci.ids 1b06 "GP102 [GeForce GTX 1080 Ti]", 2c05 "GB203 [GeForce RTX 5070 Ti]", 13f2 "GM204GL [Tesla M60]"
    assert G.cc_for_pci_id(es, "10de:1b06") == "6.1"
    assert G.cc_for_pci_id(es, 0x2C05) == "12.0"
    assert G.cc_for_pci_id(es, "0x13F210DE") == "5.2"  # NVML's pciDeviceId
    assert G.cc_for_pci_id(es, "1002:1b06") is None
    assert G.cc_for_pci_id(es, "0xffff") is None
    assert G.cc_for_name(es, "10de:1b06") == "6.1"


def test_generated_table_schema_and_coverage():
    es = entries()
    generated = [e for e in es if any("pciutils/pciids/blob/" in s for s in e.provenance.source)]
    assert len(generated) > 700
    for e in generated:
        assert len(e.pci_device_ids) == 1 and e.model.endswith(f"({e.pci_device_ids[0]})"), e.model
        assert e.chip and e.chip[:2] in ("GK", "GM", "GP", "GV", "TU", "GA", "AD", "GH", "GB"), e.model
        assert e.provenance.read and e.provenance.note, e.model
        assert (e.cc is None) == ("unknown" in e.provenance.note), e.model
        if e.cc is not None:
            assert "developer.nvidia.com" in " ".join(e.provenance.source) or "nightnine" in " ".join(e.provenance.source)
    archs = {e.architecture for e in generated}
    assert {"Kepler", "Maxwell", "Pascal", "Volta", "Turing", "Ampere", "Ada Lovelace", "Hopper", "Blackwell"} <= archs
    jetsons = {e.model: e.cc for e in es if e.segment == "embedded"}
    assert jetsons["Jetson AGX Xavier"] == "7.2" and jetsons["Jetson TX2"] == "6.2" and jetsons["Jetson Nano"] == "5.3"


def test_every_device_id_is_one_entry():
    seen: dict[str, str] = {}
    for e in entries():
        for d in e.pci_device_ids:
            assert d not in seen, (d, e.model, seen.get(d))
            seen[d] = e.model


def test_explain_gpu_answers_with_the_source():
    from tests.conftest import run_cli

    code, out, _ = run_cli(["matrices", "explain", "gpu", "NVIDIA GeForce GTX 1080 Ti"])
    assert code == 0
    assert "compute capability 6.1" in out and "chip GP102" in out and "pciutils/pciids" in out
    assert "developer.nvidia.com/cuda-legacy-gpus" in out


def test_plan_refuses_a_gpu_it_cannot_resolve():
    from tests.conftest import run_cli

    code, out, err = run_cli(["plan", "torch", "--driver", "580.65.06", "--gpu", "NVIDIA GeForce GT 1030"])
    assert code == 2 and "--cc" in out + err
    code, out, _ = run_cli(["plan", "torch", "--driver", "580.65.06", "--gpu", "Some Future GPU", "--cc", "6.1"])
    assert code != 2
    code, out, _ = run_cli(["plan", "torch", "--driver", "580.65.06", "--gpu", "NVIDIA GeForce GTX 1080 Ti"])
    assert code == 0 and "cu126" in out  # CUDA 13 builds carry no Pascal kernels
