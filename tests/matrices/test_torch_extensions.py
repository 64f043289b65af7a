from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects import torch_extensions as X


def test_loads():
    es = load("torch_extensions").entries
    assert sum(e.package == "xformers" for e in es) >= 15
    assert sum(e.package == "flash-attn" for e in es) >= 15


def test_xformers():
    es = load("torch_extensions").entries
    # https://pypi.org/project/xformers/0.0.33.post2/ Requires-Dist: torch==2.9.1
    assert X.torch_for(es, "xformers", "0.0.33.post2") == ["2.9.1"]
    assert X.torch_compatible(es, "xformers", "0.0.33.post2", "2.9.1+cu128") is True
    assert X.torch_compatible(es, "xformers", "0.0.33.post2", "2.9.0") is False
    # https://pypi.org/project/xformers/0.0.35/ : torch>=2.10 (a bound, not a pin)
    assert X.torch_compatible(es, "xformers", "0.0.35", "2.11.0") is True
    assert X.torch_for(es, "xformers", "0.0.35") == []


def test_flash_attn():
    es = load("torch_extensions").entries
    # https://github.com/Dao-AILab/flash-attention/blob/v2.8.3/.github/workflows/publish.yml :
    # torch-version ['2.4.0', '2.5.1', '2.6.0', '2.7.1', '2.8.0'], cuda-version ['12.9.1']
    e = X.release(es, "flash_attn", "2.8.3")
    assert e.torch_builds == ["2.4.0", "2.5.1", "2.6.0", "2.7.1", "2.8.0"] and e.cuda_builds == ["12.9.1"]
    assert e.cuda_majors == [12]
    assert X.torch_compatible(es, "flash-attn", "2.8.3", "2.8.1") is True
    assert X.torch_compatible(es, "flash-attn", "2.8.3", "2.9.0") is False
    assert X.torch_compatible(es, "flash-attn", "0.1", "2.9.0") is None
