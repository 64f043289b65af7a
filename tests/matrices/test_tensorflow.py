from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects import tensorflow as T


def test_loads():
    es = load("tensorflow").entries
    assert {"2.10.0", "2.16.1", "2.21.0"} <= {e.tensorflow for e in es}


def test_tested_configurations():
    es = load("tensorflow").entries
    # https://www.tensorflow.org/install/source#gpu : tensorflow-2.21.0 | 3.10-3.13 | Clang 18.1.8 | Bazel 7.4.1 | 9.3 | 12.5
    row = T.tested_config(es, "2.21.0")
    assert (row.python_min, row.python_max, row.compiler, row.build_tools, row.cudnn, row.cuda) == (
        "3.10", "3.13", "Clang 18.1.8", "Bazel 7.4.1", "9.3", "12.5")
    # same table: tensorflow-2.14.0 ... cuDNN 8.7, CUDA 11.8; tensorflow-2.10.0 ... 8.1, 11.2
    assert T.cuda_for(es, "2.14.0") == "11.8" and T.cudnn_for(es, "2.14.0") == "8.7"
    assert T.cuda_for(es, "2.10.0") == "11.2"
    # 2.16.2 is not a table row: falls back to the 2.16.1 row (CUDA 12.3)
    assert T.cuda_for(es, "2.16.2") == "12.3"
    assert T.python_supported(es, "2.15.1", "3.12") is False
    assert T.python_supported(es, "2.20.0", "3.13") is True
    assert T.cuda_for(es, "1.15.0") is None


def test_and_cuda_pins():
    es = load("tensorflow").entries
    # https://pypi.org/project/tensorflow/2.17.0/ : nvidia-cudnn-cu12==8.9.7.29 ; extra == "and-cuda"
    assert T.and_cuda_pins(es, "2.17.0")["nvidia-cudnn-cu12"] == "==8.9.7.29"
    # https://pypi.org/project/tensorflow/2.14.0/ : CUDA 11 wheels (nvidia-cuda-runtime-cu11==11.8.89)
    assert T.and_cuda_pins(es, "2.14.0")["nvidia-cuda-runtime-cu11"] == "==11.8.89"
    assert T.and_cuda_pins(es, "2.12.0") == {}
