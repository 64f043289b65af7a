from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects import onnxruntime_gpu as O


def test_loads():
    es = load("onnxruntime_gpu").entries
    assert {"1.17", "1.21.0", "1.31.1"} <= {e.onnxruntime for e in es}


def test_cuda_majors():
    es = load("onnxruntime_gpu").entries
    # https://pypi.org/project/onnxruntime-gpu/1.26.0/ : nvidia-cuda-runtime-cu12~=12.0; extra == "cuda"
    assert O.pypi_cuda_major(es, "1.26.0") == 12
    # https://pypi.org/project/onnxruntime-gpu/1.27.0/ : nvidia-cuda-runtime-cu13~=13.0 ; nvidia-cudnn-cu13~=9.0
    assert O.pypi_cuda_major(es, "1.27.0") == 13 and O.cudnn_major(es, "1.27.0") == 9
    # CUDA EP docs: 1.19.x CUDA 12.x / cuDNN 9.x on PyPI; 1.18.x CUDA 11.8 / cuDNN 8.x on PyPI
    assert O.pypi_cuda_major(es, "1.19.2") == 12 and O.cudnn_major(es, "1.19.0") == 9
    assert O.pypi_cuda_major(es, "1.18.1") == 11 and O.cudnn_major(es, "1.18.1") == 8
    assert O.release(es, "1.17.1").cudnn == "8.2.4"
    assert O.release(es, "1.16.0") is None
