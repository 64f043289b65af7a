from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects import cuda_arch_support as A


def entries():
    return load("cuda_arch_support").entries


def test_loads():
    es = entries()
    ccs = {e.cc for e in es}
    assert {"3.5", "7.5", "9.0a", "10.0f", "10.7", "11.0", "12.1a"} <= ccs
    assert all(e.provenance.source for e in es)


def test_sample_facts():
    es = entries()
    by = {e.cc: e for e in es}
    # CUDA 11.0 release notes: sm_35, sm_37, sm_50 deprecated; CUDA 12.0: Kepler removed (ptxas 12.0.76 agrees)
    assert (by["3.5"].deprecated_cuda, by["3.5"].dropped_cuda) == ("11.0", "12.0")
    # CUDA 13.x release notes: Maxwell, Pascal, Volta removed in 13.0 (ptxas 13.0.48 agrees)
    assert by["7.0"].dropped_cuda == "13.0" and by["6.1"].dropped_cuda == "13.0"
    # ptxas --help of nvidia-cuda-nvcc-cu12 12.8.61 first lists sm_120; 12.9.41 first lists the f variants and sm_121
    assert by["12.0"].first_cuda == "12.8" and by["12.0f"].first_cuda == "12.9" and by["12.1"].first_cuda == "12.9"
    # ptxas 13.0.48 replaces sm_101 with sm_110; ptxas 13.4.59 adds sm_107
    assert by["10.1"].renamed_to == "11.0" and by["11.0"].first_cuda == "13.0" and by["10.7"].first_cuda == "13.4"
    # CMake CMakeCUDAArchitecturesAll.cmake: 86 for CUDA >= 11.1
    assert by["8.6"].first_cuda == "11.1"


def test_status_boundaries():
    es = entries()
    assert A.status(es, "8.6", "11.0") == "too-new"
    assert A.status(es, "8.6", "11.1") == "supported"
    assert A.status(es, "3.7", "11.8.0") == "deprecated"
    assert A.status(es, "3.7", "12.0") == "dropped"
    assert A.status(es, "6.1", "12.9") == "deprecated"
    assert A.status(es, "6.1", "13.0") == "dropped"
    assert A.status(es, "5.2", "12.6") == "supported"
    assert A.status(es, "sm_90a", "12.0") == "supported"
    assert A.status(es, "compute_100f", "12.8") == "too-new"
    assert A.status(es, "10.1", "13.0") == "dropped"
    assert A.status(es, "13.0", "13.5") == "too-new"  # above every known capability
    assert A.status(es, "6.3", "12.0") == "unknown"
    assert A.status(es, "8.0", "nope") == "unknown"


def test_supported_archs():
    es = entries()
    s13 = A.supported_archs(es, "13.0")
    assert s13[0] == "7.5" and "6.1" not in s13 and "8.8" in s13 and "10.1" not in s13
    assert "3.5" in A.supported_archs(es, "11.8") and "3.5" not in A.supported_archs(es, "11.8", include_deprecated=False)
    assert A.supported_archs(es, "12.0")[0] == "5.0"
    assert A.sm_name("12.1a") == "sm_121a" and A.sm_name("9.0") == "sm_90"
    assert A.supported_archs(es, "bad") == []
