from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects import cuda_forward_compat as F

FC = "https://docs.nvidia.com/deploy/cuda-compatibility/forward-compatibility.html"


def entries():
    return load("cuda_forward_compat").entries


def pkg(es, name):
    return next(e for e in F.packages(es) if e.package == name)


def test_loads():
    es = entries()
    assert len(F.packages(es)) == 12
    assert F.listed_branches(es) == [535, 570, 580, 590, 595, 610, 615]


def test_sample_facts():
    es = entries()
    # FC table: cuda-compat-13-4 is C on 535..610 and N/A on 615; the page says it is built from driver 615
    p = pkg(es, "cuda-compat-13-4")
    assert p.compatible_branches == [535, 570, 580, 590, 595, 610] and p.not_applicable_branches == [615]
    assert p.built_from_branch == 615
    # FC table: cuda-compat-12-2 is N/A on 535 and X everywhere else
    p = pkg(es, "cuda-compat-12-2")
    assert p.not_applicable_branches == [535] and p.compatible_branches == []
    # FC warning: only Data Center GPUs, select NGC Server Ready RTX SKUs, Jetson boards
    elig = next(e for e in es if e.kind == "eligibility")
    assert elig.segments == ["datacenter", "rtx-ngc-server-ready", "jetson"]
    # FC feature exceptions: no OpenGL/Vulkan interop under cuda-compat-13-x
    assert any(e.feature.startswith("CUDA - OpenGL") and e.supported is False for e in F.feature_exceptions(es, 13))


def test_may_use_compat():
    es = entries()
    h100 = "NVIDIA H100 80GB HBM3"
    assert F.may_use_compat(es, "13.4", "535.104.05", h100).status == "compatible"
    assert F.may_use_compat(es, "13.4", "R615", h100).status == "not-needed"
    assert F.may_use_compat(es, "12.3", "570.86.15", "Tesla T4").status == "incompatible"
    assert F.may_use_compat(es, "13.0", "550.54.15", h100).status == "branch-not-supported"
    assert F.may_use_compat(es, "13.0", "535", "NVIDIA GeForce RTX 4090").status == "gpu-not-eligible"
    assert F.may_use_compat(es, "13.0", "535", "NVIDIA RTX A6000").status == "unknown"  # maybe NGC Server Ready
    assert F.may_use_compat(es, "13.0", "535", segment="rtx-ngc-server-ready").ok
    assert F.may_use_compat(es, "13.0", "535", segment="jetson").ok
    assert F.may_use_compat(es, "13.0", "535").status == "unknown"
    assert F.may_use_compat(es, "11.8", "535", h100).status == "unknown"  # no such package in the table
    assert F.may_use_compat(es, "13.0", "foo", h100).status == "unknown"
    arch = load("cuda_arch_support").entries
    p100 = F.may_use_compat(es, "13.0", "535", "Tesla P100-PCIE-16GB", cc="6.0", arch_entries=arch)
    assert p100.status == "gpu-not-supported-by-cuda"
    assert F.may_use_compat(es, "13.0", "535", h100, cc="9.0", arch_entries=arch).status == "compatible"


def test_gpu_segment():
    assert F.gpu_segment("NVIDIA A100-SXM4-80GB") == "datacenter"
    assert F.gpu_segment("Tesla V100-SXM2-16GB") == "datacenter"
    assert F.gpu_segment("NVIDIA GeForce RTX 3090") == "geforce"
    assert F.gpu_segment("Quadro RTX 8000") == "workstation"
    assert F.gpu_segment("Orin (nvgpu)") == "jetson"
    assert F.gpu_segment("NVIDIA T400") is None
