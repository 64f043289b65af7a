from __future__ import annotations

import pytest

from accelctl.matrices import load
from accelctl.matrices.base import ErrorSink
from accelctl.matrices.subjects import nvidia_libraries as L

CUDNN_9102 = "https://docs.nvidia.com/deeplearning/cudnn/latest/support-matrix/index.html"
CUDNN_9170 = "https://docs.nvidia.com/deeplearning/sdk/cudnn-support-matrix/index.html"
TRT_861 = "https://docs.nvidia.com/deeplearning/tensorrt/archives/tensorrt-861/support-matrix/index.html"


def entries():
    return load("nvidia_libraries").entries


def test_loads_and_covers_libraries():
    es = entries()
    assert {e.library for e in es} == set(L.LIBRARIES)
    assert all(e.provenance.source and e.provenance.read == "2026-11-22" for e in es)
    for lib in ("cudnn", "nccl", "tensorrt", "cublas"):
        assert {11, 12, 13} <= {e.cuda_major for e in es if e.kind == "wheel" and e.library == lib}, lib


def test_sample_facts():
    es = entries()
    # CUDNN_9170: cuDNN 9.17.0 for CUDA 13.x (13.0, 13.1) >= 580.65.06; for CUDA 12.x (12.0-12.9) >= 525.60.13 / >= 527.41
    assert L.cuda_majors_supported(es, "cudnn", "9.17.0") == [12, 13]
    b13 = L.build_for(es, "cudnn", "9.17.0", 13)
    assert b13.cuda_versions == ["13.0", "13.1"] and b13.min_driver_linux == "580.65.06" and b13.min_driver_windows is None
    assert L.min_driver_for(es, "cudnn", "9.17.0", 12, "windows") == "527.41"
    # CUDNN_9102: 9.10.2 for CUDA 12.x 12.8/12.9 build >= 570.26; 12.0-12.9 build >= 525.60.13; for CUDA 11.x 11.8 >= 450.80.02
    assert L.cuda_majors_supported(es, "cudnn", "9.10.2") == [11, 12]
    assert L.min_driver_for(es, "cudnn", "9.10.2", 12) == "525.60.13"
    assert L.min_driver_for(es, "cudnn", "9.10.2", 11) == "450.80.02"
    # TRT_861: TensorRT 8.6.1 supports CUDA 11.0 update 1 ... 12.1 update 1
    assert L.cuda_majors_supported(es, "tensorrt", "8.6.1") == [11, 12]
    # PyPI cuda-toolkit 12.4.1 pins nvidia-cublas-cu12==12.4.5.8.*; 13.0.0 pins nvidia-cublas==13.0.0.19.*
    assert L.cublas_for_toolkit(es, "12.4.1") == "12.4.5.8"
    assert L.cublas_for_toolkit(es, "13.0.0") == "13.0.0.19"
    assert L.cublas_for_toolkit(es, "12.3.2") == L.cublas_for_toolkit(es, "12.3.1") == "12.3.4.1"
    # PyPI: nvidia-nccl-cu11 stops at 2.21.5; nvidia-nccl-cu13 starts at 2.27.7
    assert L.cuda_majors_supported(es, "nccl", "2.21.5") == [11, 12]
    assert L.cuda_majors_supported(es, "nccl", "2.27.5") == [12]
    assert L.cuda_majors_supported(es, "nccl", "2.27.7") == [12, 13]
    # cuSPARSELt release notes: 0.8.0 compatible with CUDA 12.9 and 13.0
    assert L.cuda_majors_supported(es, "cusparselt", "0.8.0") == [12, 13]
    # PyPI: CUDA 13 cuBLAS wheel is unsuffixed; cuDNN cu13 wheel is suffixed
    assert L.wheel_name(es, "cublas", 13) == "nvidia-cublas"
    assert L.wheel_name(es, "cublas", 12) == "nvidia-cublas-cu12"
    assert L.wheel_name(es, "cudnn", 13) == "nvidia-cudnn-cu13"
    assert L.wheel_name(es, "cusparselt", 11) is None


def test_version_matching_boundaries():
    es = entries()
    # a wheel version names its release
    assert L.find_release(es, "cudnn", "9.10.2.21").version == "9.10.2"
    # a prefix picks the newest listed release with it
    assert L.find_release(es, "cudnn", "9.5").version == "9.5.1"
    assert L.find_release(es, "nccl", "2.27").version == "2.27.7"
    # 9.1 is not a prefix of 9.10.2 (numeric comparison, not string)
    assert L.find_release(es, "cudnn", "9.1") is None
    assert L.find_release(es, "cudnn", "9.10").version == "9.10.2"
    assert L.cuda_majors_supported(es, "cudnn", "7.6.5") == []
    assert L.cuda_majors_supported(es, "cudnn", "not-a-version") == []
    assert L.cuda_majors_supported(es, "nosuchlib", "1.0") == []
    assert L.cublas_for_toolkit(es, "12.7") is None
    assert L.cublas_for_toolkit(es, "bad") is None
    with pytest.raises(ValueError):
        L.min_driver_for(es, "cudnn", "9.17.0", 12, "macos")


def test_check_rejects_bad_rows():
    bad = [
        L.LibraryEntry(kind="release", library="cudnn", version="9.0.0", builds=[L.CudaBuild(cuda_major=12, cuda_versions=["11.8"])]),
        L.LibraryEntry(kind="release", library="cudnn", version="9.0.0", builds=[L.CudaBuild(cuda_major=12)]),
        L.LibraryEntry(kind="release", library="cudnnx", version="1.0"),
        L.LibraryEntry(kind="wheel", library="nccl"),
        L.LibraryEntry(kind="other", library="nccl"),
    ]
    sink = ErrorSink("t", ["a", "b", "c", "d", "e"])
    L._check(bad, sink)
    text = "\n".join(sink.problems)
    for word in ("is not CUDA 12.x", "duplicate", "must be one of", "at least one build", "needs 'cuda_major'"):
        assert word in text, word


def test_nvcc_wheels_exist_only_for_the_minors_pypi_has():
    from accelctl.matrices import MatrixSet
    from accelctl.matrices.subjects.nvidia_libraries import wheel_for_minor

    es = MatrixSet().entries("nvidia_libraries")
    assert wheel_for_minor(es, "nvcc", 11, 3) is None  # cu11 wheels: 11.7.99 and 11.8.89 only
    assert wheel_for_minor(es, "nvcc", 11, 8) == "nvidia-cuda-nvcc-cu11"
    assert wheel_for_minor(es, "nvcc", 12, 4) == "nvidia-cuda-nvcc-cu12"
    assert wheel_for_minor(es, "nvcc", 13, 0) == "nvidia-cuda-nvcc"
    assert wheel_for_minor(es, "nvcc", 14, 0) is None
