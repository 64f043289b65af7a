from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects.torch_companions import companions_for, is_matching, torch_for


def entries():
    return load("torch_companions").entries


def test_loads_and_covers_every_torch_release_from_1_13():
    es = entries()
    torches = {e.torch for e in es}
    # `pip index versions torch` / https://pypi.org/simple/torch/ (read 2026-11-22)
    for v in ("1.13.0", "1.13.1", "2.0.0", "2.4.1", "2.9.1", "2.11.0", "2.14.1", "2.15.0"):
        assert v in torches
    assert all(e.provenance.source and e.provenance.read for e in es)


def test_pairs_read_from_metadata():
    es = entries()
    # torchvision-0.20.1 METADATA: Requires-Dist: torch (==2.5.1); torchaudio-2.5.1: torch (==2.5.1)
    e = companions_for(es, "2.5.1+cu124")
    assert e.torchvision == ["0.20.1"] and e.torchaudio == ["2.5.1"]
    # torchaudio-2.0.2 METADATA pins torch (==2.0.1); torchvision-0.15.2 pins torch (==2.0.1)
    assert companions_for(es, "2.0.1").torchaudio == ["2.0.2"]
    assert companions_for(es, "2.0.1").torchvision == ["0.15.2"]
    # torchvision-0.14.0 pins torch (==1.13.0); torchaudio-0.13.0 pins torch (==1.13.0)
    assert companions_for(es, "1.13.0").torchvision == ["0.14.0"]
    # torchvision-0.26.0 pins torch (==2.11.0); torchaudio-2.11.0 declares no torch requirement
    e = companions_for(es, "2.11.0")
    assert e.torchvision == ["0.26.0"] and e.torchaudio == []


def test_helpers():
    es = entries()
    assert torch_for(es, "torchvision", "0.19.0+cu121") == "2.4.0"
    assert torch_for(es, "torchaudio", "0.13.1") == "1.13.1"
    assert is_matching(es, "2.4.0+cu121", "torchvision", "0.19.0") is True
    assert is_matching(es, "2.4.1", "torchvision", "0.19.0") is False
    assert is_matching(es, "2.4.1", "torchvision", "9.9.9") is None
    assert companions_for(es, "1.12.1") is None
