from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects import neuron as N


def entries():
    return load("neuron").entries


def test_loads():
    es = entries()
    assert len(es) >= 10
    assert all(e.provenance.source and e.provenance.read for e in es)


def test_sample_facts():
    by = {e.neuron: e for e in entries()}
    # aws-neuron-sdk src/helperscripts/n2-manifest.json (81ce03ae), release 2.28.1
    e = by["2.28.1"]
    assert e.neuron_driver == "2.26.10.0" and e.neuronx_cc == "2.23.6484.0"
    assert "2.8.0.2.12.22436" in e.torch_neuronx and e.torch == ["2.7.0", "2.8.0", "2.9.0"]
    # same manifest, release 2.32.0: no torch-neuronx, torch-xla 2.11.0/2.12.0 instead
    assert by["2.32.0"].torch_neuronx == [] and by["2.32.0"].torch_xla == ["2.11.0", "2.12.0"]
    # release 2.25.0: torch-neuronx for torch 2.6 and 2.7, dkms 2.23.9.0
    assert by["2.25.0"].torch == ["2.6.0", "2.7.0"] and by["2.25.0"].neuron_driver == "2.23.9.0"


def test_queries():
    es = entries()
    assert N.torch_of_torch_neuronx("2.9.0.2.15.32035") == "2.9.0"
    assert N.torch_of_torch_neuronx("garbage") is None
    assert N.torch_supported(es, "2.28.1", "2.9.1") is True
    assert N.torch_supported(es, "2.25.0", "2.9.0") is False
    assert N.torch_supported(es, "2.32.0", "2.12.0+cpu") is True
    assert N.torch_supported(es, "1.0.0", "2.9.0") is None
    assert N.releases_with_torch_neuronx(es, "2.8.0.2.12.22436") == ["2.28.0", "2.28.1"]
    assert N.driver_for(es, "2.29.1") == "2.27.4.0"
