from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects import vllm as V


def test_loads_last_releases():
    es = load("vllm").entries
    assert len(es) >= 15 and {"0.20.0", "0.33.0"} <= {e.vllm for e in es}


def test_torch_pins():
    es = load("vllm").entries
    # https://pypi.org/project/vllm/0.33.0/ Requires-Dist: torch==2.14.0, flashinfer-python==0.7.2.post1
    assert V.torch_pin_for_vllm(es, "0.33.0") == "2.14.0"
    assert V.release(es, "0.33.0").flashinfer == "0.7.2.post1"
    # https://pypi.org/project/vllm/0.26.0/ : torch==2.11.0
    assert V.torch_pin_for_vllm(es, "0.26.0") == "2.11.0"
    assert V.torch_matches(es, "0.26.0", "2.11.0+cu130") is True
    assert V.torch_matches(es, "0.26.0", "2.13.0") is False
    assert V.torch_matches(es, "0.1.0", "2.13.0") is None
    assert "0.27.0" in V.vllm_for_torch(es, "2.13.0")
    # https://pypi.org/project/torch/2.14.0/ : cuda-toolkit[...]==13.0.3 -> the PyPI vllm 0.33.0 stack is CUDA 13
    assert V.cuda_major_for_vllm(es, "0.33.0") == 13
