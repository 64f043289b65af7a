"""LIB005: the cuDNN or cuBLAS a framework loads no longer supports the GPU's architecture.

Cases from public reports; where a report leaves a version out, the docstring says what was taken instead.
"""

from __future__ import annotations

from accelctl.inventory.nvidia import LibraryResolution
from accelctl.matrices import MatrixSet
from accelctl.rules import by_id, check_rules
from accelctl.rules.base import RuleContext, RuleOptions
from tests.builders import make_inventory


def outcome(inv):
    return check_rules(RuleContext(inv, MatrixSet(), RuleOptions()), [by_id()["LIB005"]])


def test_k80_with_the_cuda_12_torch_cudnn_8_9_fires():
    """https://github.com/dailenson/SDT/issues/25

    Facts: a Tesla K80 VM, "RuntimeError: cuDNN error: CUDNN_STATUS_ARCH_MISMATCH", solved by moving to CUDA 11.8.
    Not in the report: the versions; taken as torch 2.1.0+cu121 (current then) with the cuDNN its wheel pins,
    nvidia-cudnn-cu12 8.9.2.26. cuDNN 8.9 supports compute capability 5.0 and up; the K80 is 3.7.
    """
    inv = make_inventory(driver="535.104.05", cuda_driver="12.2", gpus=[("Tesla K80", "3.7")],
                         dists=[("torch", "2.1.0+cu121", []), ("nvidia-cudnn-cu12", "8.9.2.26", [])])
    out = outcome(inv)
    [f] = out.findings
    assert f.rule_id == "LIB005" and f.severity == "error" and out.undecided == []
    assert "cuDNN 8.9.2.26" in f.message and "3.7" in f.message and "lowest compute capability is 5.0" in f.message


def test_gtx_1080_ti_with_cuda_13_torch_fires_with_a_cuda_12_6_torch_as_the_fix():
    """CUDA 13 wheels on a GTX 1080 Ti (compute capability 6.1): every CUDA 13 library starts at 7.5.

    https://github.com/mmartial/ComfyUI-Nvidia-Docker/issues/61 : a GTX 1080 Ti ("cuda capability 6.1") after a
    torch upgrade; torch's own warning asks for a CUDA 12.6 build. The report's wheel was a cu128 build (ARCH001's
    case); here the upgrade is to torch 2.11.0+cu130, whose wheel pins nvidia-cudnn-cu13 9.19.0.56 (pytorch matrix).
    """
    inv = make_inventory(driver="580.95.05", cuda_driver="13.0", gpus=[("NVIDIA GeForce GTX 1080 Ti", "6.1")],
                         dists=[("torch", "2.11.0+cu130", []), ("nvidia-cudnn-cu13", "9.19.0.56", [])])
    out = outcome(inv)
    [f] = out.findings
    assert "cuDNN 9.19.0.56" in f.message and "lowest compute capability is 7.5" in f.message and out.undecided == []
    torch_fix = f.fixes[0]
    assert torch_fix.recommended and "+cu126" in torch_fix.commands[0]
    assert "--index-url https://download.pytorch.org/whl/cu126" in torch_fix.commands[0]


def test_gtx_1050_on_the_reporters_working_torch_2_4_1_cu121_does_not_fire():
    """https://github.com/bnsreenu/digitalsreeni-image-annotator/issues/57

    Facts: GeForce GTX 1050 (compute capability 6.1); "Downgrading to ... 2.4.1 + cu121 ... works". That wheel pins
    nvidia-cudnn-cu12 9.1.0.70, between cuDNN 9.0.0 and 9.5.1, which both support 5.0 and up.
    """
    inv = make_inventory(driver="550.163.01", cuda_driver="12.4", gpus=[("NVIDIA GeForce GTX 1050", "6.1")],
                         dists=[("torch", "2.4.1+cu121", []), ("nvidia-cudnn-cu12", "9.1.0.70", [])])
    out = outcome(inv)
    assert out.findings == [] and out.undecided == []


def test_h100_node_with_cuda_13_torch_does_not_fire():
    """The project's own H100 node (README tour): torch 2.11.0+cu130 with cuDNN 9.19.0.56 and cuBLAS 13.1."""
    inv = make_inventory(driver="580.159.04", cuda_driver="13.0", gpus=[("NVIDIA H100 80GB HBM3", "9.0")],
                         dists=[("torch", "2.11.0+cu130", []), ("nvidia-cudnn-cu13", "9.19.0.56", []),
                                ("nvidia-cublas", "13.1.0.3", [])])
    out = outcome(inv)
    assert out.findings == [] and out.undecided == []


def test_v100_with_a_cudnn_between_the_recorded_releases_is_undecided():
    """https://github.com/Quansight/open-gpu-server/issues/69

    Facts: V100 runners (compute capability 7.0); "cudnn 9.11 dropped support for sm_70". NVIDIA's tables as read
    record 9.10.2 (5.0 and up) and 9.17.0 (7.5 and up) only, so 9.11.0 on a V100 is undecided, not passed.
    """
    inv = make_inventory(driver="570.172.08", cuda_driver="12.8", gpus=[("Tesla V100-SXM2-32GB", "7.0")],
                         dists=[("torch", "2.8.0+cu128", []), ("nvidia-cudnn-cu12", "9.11.0.98", [])])
    out = outcome(inv)
    assert out.findings == []
    [u] = out.undecided
    assert u.rule_id == "LIB005" and "9.10.2" in u.message and "9.17.0" in u.message and u.settle


def test_unknown_compute_capability_is_undecided():
    inv = make_inventory(driver="580.95.05", gpus=[("NVIDIA GPU unknown to the matrices", None)],  # type: ignore[list-item]
                         dists=[("torch", "2.9.0+cu130", []), ("nvidia-cudnn-cu13", "9.13.0.50", [])])
    [u] = outcome(inv).undecided
    assert any("compute capability" in m for m in u.missing)


def test_the_copy_the_loader_resolves_decides_not_the_wheel():
    """A cuDNN 9.17 on LD_LIBRARY_PATH shadows the wheel's 9.10.2: on a Pascal GPU that copy is the one that fails."""
    res = LibraryResolution(consumer="torch", library="cudnn", soname="libcudnn.so.9",
                            resolved_path="/opt/cudnn-9.17/lib/libcudnn.so.9", resolved_version="9.17.0",
                            resolved_via="LD_LIBRARY_PATH", expected_path="/venv/lib/site-packages/nvidia/cudnn/lib/libcudnn.so.9",
                            expected_version="9.10.2.21", shadowed=True)
    inv = make_inventory(driver="570.172.08", cuda_driver="12.8", gpus=[("Tesla P100-PCIE-16GB", "6.0")],
                         dists=[("torch", "2.8.0+cu126", []), ("nvidia-cudnn-cu12", "9.10.2.21", [])], resolutions=[res])
    [f] = outcome(inv).findings
    assert "9.17.0" in f.message and "/opt/cudnn-9.17" in f.evidence[0].value
    inv_clean = make_inventory(driver="570.172.08", cuda_driver="12.8", gpus=[("Tesla P100-PCIE-16GB", "6.0")],
                               dists=[("torch", "2.8.0+cu126", []), ("nvidia-cudnn-cu12", "9.10.2.21", [])])
    assert outcome(inv_clean).findings == []
