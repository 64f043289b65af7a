from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects import tpu as T


def entries():
    return load("tpu").entries


def test_loads():
    es = entries()
    assert {e.package for e in es} == {"jax", "torch-xla"}
    assert all(e.provenance.source and e.provenance.read for e in es)


def test_sample_facts():
    by = {(e.package, e.version): e for e in entries()}
    # PyPI jax 0.8.1 METADATA: libtpu==0.0.30.*; extra == "tpu"
    assert by[("jax", "0.8.1")].libtpu == "==0.0.30.*"
    # PyPI jax 0.4.33 METADATA: libtpu-nightly==0.1.dev20240916; extra == "tpu"
    assert by[("jax", "0.4.33")].libtpu_nightly == "==0.1.dev20240916" and by[("jax", "0.4.33")].libtpu is None
    # PyPI torch-xla 2.8.0 METADATA: libtpu==0.0.17; extra == "tpu"; jaxlib==0.6.2; extra == "pallas"
    assert by[("torch-xla", "2.8.0")].libtpu == "==0.0.17" and by[("torch-xla", "2.8.0")].jaxlib == "==0.6.2"
    # pytorch/xla README: torch~=2.5.0 with torch_xla~=2.5.0
    assert by[("torch-xla", "2.5.0")].torch == "==2.5.*"


def test_libtpu_ok_boundaries():
    es = entries()
    assert T.libtpu_ok(es, "jax", "0.8.1", "0.0.30") is True
    assert T.libtpu_ok(es, "jax", "0.8.1", "0.0.30.1") is True  # "==0.0.30.*" admits post builds
    assert T.libtpu_ok(es, "jax", "0.8.1", "0.0.24") is False
    assert T.libtpu_ok(es, "jax", "0.4.33", "0.1.dev20240916") is True
    assert T.libtpu_ok(es, "jax", "0.4.33", "0.0.2") is False  # that jax pins only libtpu-nightly
    assert T.libtpu_ok(es, "torch_xla", "2.9.0", "0.0.21") is True
    assert T.libtpu_ok(es, "jax", "0.0.1", "0.0.21") is None


def test_torch_pairing():
    es = entries()
    assert T.torch_ok(es, "2.8.0", "2.8.0+cpu") is True
    assert T.torch_ok(es, "2.8.1", "2.8.2") is True
    assert T.torch_ok(es, "2.8.0", "2.9.0") is False
    assert T.torch_ok(es, "9.9.9", "2.9.0") is None
