from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects import cuda_host_compilers as M


def entries():
    return load("cuda_host_compilers").entries


def test_loads():
    es = entries()
    assert [e.cuda for e in es][:3] == ["11.0", "11.1", "11.2"]
    assert all(e.provenance.source and e.provenance.read for e in es)
    assert all(e.provenance.note for e in es if e.max_gcc is None)


def test_sample_facts():
    es = entries()
    # nvidia_cuda_nvcc_cu11-11.8.89 wheel (https://pypi.org/project/nvidia-cuda-nvcc-cu11/11.8.89/#files),
    # include/crt/host_config.h: "#if __GNUC__ > 11"
    assert M.max_gcc_for(es, "11.8") == 11
    # nvidia_cuda_nvcc_cu12-12.4.131 wheel (https://pypi.org/project/nvidia-cuda-nvcc-cu12/12.4.131/#files): "> 13"
    assert M.max_gcc_for(es, "12.4") == 13
    # nvidia_cuda_nvcc_cu12-12.8.93 wheel (https://pypi.org/project/nvidia-cuda-nvcc-cu12/12.8.93/#files): "> 14"
    assert M.max_gcc_for(es, "12.8") == 14
    # nvidia_cuda_crt-13.0.88 wheel (https://pypi.org/project/nvidia-cuda-crt/13.0.88/#files) and the CUDA 13.0.88
    # toolkit's targets/x86_64-linux/include/crt/host_config.h: "> 15"
    assert M.max_gcc_for(es, "13.0") == 15
    # nvidia_cuda_crt-13.4.92 wheel (https://pypi.org/project/nvidia-cuda-crt/13.4.92/#files): "> 16"
    assert M.max_gcc_for(es, "13.4") == 16


def test_helper_boundaries():
    es = entries()
    assert M.max_gcc_for(es, "12.4.131") == 13  # a full release maps to its minor
    assert M.max_gcc_for(es, "12.3.2") == 12
    assert M.max_gcc_for(es, "11.2") is None  # no header read for 11.0 ... 11.6
    assert M.max_gcc_for(es, "12.7") is None  # no such release
    assert M.max_gcc_for(es, "99.0") is None
    assert M.max_gcc_for(es, "not-a-version") is None
