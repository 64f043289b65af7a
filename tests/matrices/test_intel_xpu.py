from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects import intel_xpu as I


def entries():
    return load("intel_xpu").entries


def test_loads():
    es = entries()
    assert {e.package for e in es} == {"intel-extension-for-pytorch", "torch"}
    assert all(e.provenance.source and e.provenance.read for e in es)


def test_sample_facts():
    es = entries()
    # IPEX tag v2.8.10+xpu dependency_version.json: torch 2.8.0, dpcpp-cpp-rt 2025.1 (Linux)
    e = I.find(es, "intel-extension-for-pytorch", "2.8.10+xpu")
    assert (e.torch, e.torch_build, e.oneapi) == ("==2.8.*", "2.8.0", "2025.1")
    # IPEX v2.6.10+xpu releases.md lists Data Center GPU Flex Series (deprecated after it); v2.7.10 does not
    assert "Intel Data Center GPU Flex Series" in I.find(es, "ipex", "2.6.10+xpu").gpus
    assert "Intel Data Center GPU Flex Series" not in I.find(es, "ipex", "2.7.10+xpu").gpus
    # pytorch generate_binary_build_matrix.py (00018c94), xpu Linux pins
    t = I.find(es, "torch", "2.7.0")
    assert t.runtime_wheels["intel-sycl-rt"] == "2025.0.4" and t.runtime_wheels["intel-pti"] == "0.10.1"


def test_queries():
    es = entries()
    assert I.ipex_torch_ok("2.8.10+xpu", "2.8.0+xpu") is True
    assert I.ipex_torch_ok("2.8.10+xpu", "2.7.1") is False
    assert I.ipex_torch_ok("x", "2.7.1") is None
    assert I.torch_for_ipex(es, "2.7.0") == "==2.7.*"  # CPU build
    assert I.torch_for_ipex(es, "9.9.9") is None
    assert I.runtime_ok(es, "2.7.0+xpu", "intel-sycl-rt", "2025.0.4") is True
    assert I.runtime_ok(es, "2.7.0+xpu", "intel-sycl-rt", "2025.1.0") is False
    assert I.runtime_ok(es, "2.12.0+xpu", "intel-sycl-rt", "2025.3.2") is None  # pins not read
