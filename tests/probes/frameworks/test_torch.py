from __future__ import annotations

import pytest

from accelctl.probes.frameworks.torch import parse_version_py, runtime_from_version_py
from tests.probes.frameworks.conftest import ENVS, probe_env


def test_h100_node_torch_from_version_py_and_pins():
    env, fws, unknowns = probe_env("h100-node", "/opt/torch/.venv/bin/python3")
    t = fws["torch"]
    assert (env.version, env.platform, env.cuda_majors, len(env.distributions)) == ("3.12.3", "x86_64", ["13"], 197)
    assert (t.version, t.variant, t.variant_source, t.runtime_kind, t.runtime_version) == ("2.11.0+cu130", "cu130", "local version tag", "cuda", "13.0")
    assert {k: t.pins[k] for k in ("nvidia-cudnn-cu13", "nvidia-nccl-cu13", "nvidia-cusparselt-cu13", "triton", "cuda-toolkit", "nvidia-cublas", "nvidia-cuda-runtime")} == {
        "nvidia-cudnn-cu13": "==9.19.0.56", "nvidia-nccl-cu13": "==2.28.9", "nvidia-cusparselt-cu13": "==0.8.0",
        "triton": "==3.6.0", "cuda-toolkit": "==13.0.2", "nvidia-cublas": "==13.1.0.3.*", "nvidia-cuda-runtime": "==13.0.96.*"}
    assert t.pins_installed["nvidia-cudnn-cu13"] == "9.19.0.56" and t.pins_installed["nvidia-cublas"] == "13.1.0.3"
    assert all(t.pins_ok.values())
    assert (t.requires_python, t.glibc_floor, t.platform) == (">=3.10", "2.28", "x86_64")
    assert t.bundled_libraries == ["libc10.so", "libc10_cuda.so", "libcaffe2_nvrtc.so", "libgomp.so.1", "libshm.so", "libtorch.so",
                                   "libtorch_cpu.so", "libtorch_cuda.so", "libtorch_cuda_linalg.so", "libtorch_global_deps.so",
                                   "libtorch_nvshmem.so", "libtorch_python.so"]
    assert env.requirement_problems == []
    # The matrix's arch list for 2.11.0+cu130 (read from the PyPI wheel's fatbin; torch.cuda.get_arch_list() on the
    # real node returns the same six targets)
    assert (t.compiled_archs, t.compiled_ptx, t.archs_source) == (
        ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"], [], "pytorch matrix (2.11.0+cu130)")
    assert not [u for u in unknowns if u[0] == "torch.compiled_archs"]


def test_h100_node_fatbin_scan_of_a_non_elf_is_an_unknown():
    # the fixture's libtorch_cuda.so is a stub: the scan fails, says why, and the matrix's list stays
    _, fws, unknowns = probe_env("h100-node", "/opt/torch/.venv/bin/python3", scan=True)
    assert fws["torch"].archs_source == "pytorch matrix (2.11.0+cu130)"
    assert any(f == "torch.compiled_archs" and "not an ELF file" in r for f, r in unknowns)


def test_version_py_of_the_node():
    values = parse_version_py((ENVS / "node-capture" / "torch_version.py").read_text())
    assert values == {"__version__": "2.11.0+cu130", "cuda": "13.0", "hip": None, "rocm": None, "xpu": None}
    assert runtime_from_version_py(values) == ("cuda", "13.0")


@pytest.mark.parametrize("name, version, variant, source, runtime, cudnn", [
    ("torch-cu121", "2.3.1", "cu121", "metadata pins (nvidia-cuda-runtime-cu12==12.1.105)", ("cuda", "12.1"), "==8.9.2.26"),
    ("torch-cu124", "2.5.1", "cu124", "metadata pins (nvidia-cuda-runtime-cu12==12.4.127)", ("cuda", "12.4"), "==9.1.0.70"),
    ("torch-cu126", "2.7.1", "cu126", "metadata pins (nvidia-cuda-runtime-cu12==12.6.77)", ("cuda", "12.6"), "==9.5.1.17"),
    ("torch-cu128", "2.8.0", "cu128", "metadata pins (nvidia-cuda-runtime-cu12==12.8.90)", ("cuda", "12.8"), "==9.10.2.21"),
    ("torch-cu118-with-cu12-wheels", "2.5.1+cu118", "cu118", "local version tag", ("cuda", "11.8"), None),
    ("torch-rocm", "2.5.1+rocm6.2", "rocm6.2", "local version tag", ("rocm", "6.2"), None),
    ("torch-cpu", "2.5.1+cpu", "cpu", "local version tag", ("cpu", None), None),
    ("torch-cpu-aarch64", "2.5.1", "cpu", "matrix default on aarch64", ("cpu", None), None),
])
def test_torch_variants(name, version, variant, source, runtime, cudnn):
    _, fws, _ = probe_env(name)
    t = fws["torch"]
    assert (t.version, t.variant, t.variant_source, (t.runtime_kind, t.runtime_version)) == (version, variant, source, runtime)
    assert t.pins.get("nvidia-cudnn-cu12") == cudnn


def test_official_cu124_archs_come_from_the_matrix():
    _, fws, _ = probe_env("torch-cu124")
    t = fws["torch"]
    assert t.compiled_archs == ["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"]
    assert (t.compiled_ptx, t.archs_source, t.glibc_floor) == ([], "pytorch matrix (2.5.1+cu124)", "2.5")


def test_cu118_torch_next_to_cu12_wheels():
    env, fws, _ = probe_env("torch-cu118-with-cu12-wheels")
    t = fws["torch"]
    assert env.cuda_majors == ["12"]
    assert t.pins_installed["nvidia-cudnn-cu11"] is None and t.pins_ok["nvidia-cudnn-cu11"] is None
    missing = sorted(p.name for p in env.requirement_problems if p.requirer == "torch" and p.kind == "missing")
    assert missing == ["nvidia-cublas-cu11", "nvidia-cuda-cupti-cu11", "nvidia-cuda-nvrtc-cu11", "nvidia-cuda-runtime-cu11",
                       "nvidia-cudnn-cu11", "nvidia-cufft-cu11", "nvidia-curand-cu11", "nvidia-cusolver-cu11",
                       "nvidia-cusparse-cu11", "nvidia-nccl-cu11", "nvidia-nvtx-cu11"]
    assert t.compiled_archs == ["sm_37", "sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"]


def test_rocm_torch_pins_its_triton():
    env, fws, _ = probe_env("torch-rocm")
    assert fws["torch"].pins == {"pytorch-triton-rocm": "==3.1.0"}
    assert [(p.name, p.kind) for p in env.requirement_problems] == [("pytorch-triton-rocm", "missing")]
