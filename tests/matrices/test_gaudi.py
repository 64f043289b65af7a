from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects import gaudi as G


def entries():
    return load("gaudi").entries


def test_loads():
    es = entries()
    assert len(es) >= 8
    assert all(e.provenance.source and e.provenance.read for e in es)


def test_sample_facts():
    by = {e.gaudi_sw: e for e in entries()}
    # docs.habana.ai Support_Matrix_v1.21.0: PyTorch 2.6.0, Ubuntu 24.04.2
    assert by["1.21.0"].pytorch == ["2.6.0"] and "Ubuntu 24.04.2" in by["1.21.0"].os
    # Support_Matrix_v1.17.0: PyTorch 2.3.1, build 1.17.0-495, HL-325L SPI firmware 1.17.0-fw-51.3.0
    assert by["1.17.0"].pytorch == ["2.3.1"] and by["1.17.0"].build == "1.17.0-495"
    assert by["1.17.0"].firmware == {"HL-325L": "1.17.0-fw-51.3.0"}
    # Support_Matrix_v1.13.0: PyTorch 2.1.0
    assert by["1.13.0"].pytorch == ["2.1.0"]


def test_supports_torch():
    es = entries()
    assert G.supports_torch(es, "1.21.0", "2.6.0") is True
    assert G.supports_torch(es, "1.21.1", "2.6.0+hpu") is True  # patch falls back to 1.21.0
    assert G.supports_torch(es, "1.21.0", "2.5.1") is False
    assert G.supports_torch(es, "1.99.0", "2.6.0") is None
