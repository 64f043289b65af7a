from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects import jax as J


def entries():
    return load("jax").entries


def test_loads_and_covers_range():
    es = entries()
    versions = {e.jax for e in es}
    assert {"0.4.20", "0.4.30", "0.8.0", "0.10.2", "0.12.0.1"} <= versions
    assert all(e.provenance.source and e.provenance.read for e in es)


def test_jaxlib_pins():
    es = entries()
    # https://pypi.org/project/jax/0.4.30/ Requires-Dist: jaxlib <=0.4.30,>=0.4.27
    assert J.release(es, "0.4.30").jaxlib == ">=0.4.27,<=0.4.30"
    # https://pypi.org/project/jax/0.4.37/ : extra cuda12 pins jaxlib==0.4.36 (no jaxlib 0.4.37 exists)
    assert J.jaxlib_for(es, "0.4.37") == "0.4.36"
    # https://pypi.org/project/jax/0.4.20/ : no unconditional jaxlib requirement; minimum-jaxlib extra is 0.4.14
    e = J.release(es, "0.4.20")
    assert e.jaxlib is None and e.jaxlib_min == "0.4.14"
    assert J.jaxlib_compatible(es, "0.4.30", "0.4.26") is False
    assert J.jaxlib_compatible(es, "0.4.30", "0.4.27") is True
    assert J.jaxlib_compatible(es, "0.4.20", "0.4.20+cuda12.cudnn89") is True
    assert J.jaxlib_compatible(es, "9.9.9", "0.4.20") is None


def test_plugin_pins():
    es = entries()
    # https://pypi.org/project/jax-cuda12-plugin/0.4.30/ with_cuda extra: nvidia-cudnn-cu12 <10.0,>=9.0 ; nccl >=2.18.1
    s = J.plugin_pins(es, "0.4.30", 12)
    assert s.kind == "plugin" and s.plugin == "0.4.30" and s.pjrt == "0.4.30"
    assert s.cudnn == ">=9.0,<10.0" and s.nccl == ">=2.18.1"
    # https://pypi.org/project/jax-cuda13-plugin/0.10.2/ : nvidia-cudnn-cu13<10.0,>=9.12.0.46 ; nvidia-nccl-cu13>=2.27.7
    s13 = J.plugin_pins(es, "0.10.2", 13)
    assert s13.cudnn == ">=9.12.0.46,<10.0" and s13.nccl == ">=2.27.7"
    # docs/installation.md at jax-v0.8.0: driver >= 525 for CUDA 12, >= 580 for CUDA 13; CUDA 13 needs SM 7.5
    assert J.min_driver_for(es, "0.8.0", 12) == "525" and J.min_driver_for(es, "0.8.0", 13) == "580"
    assert J.plugin_pins(es, "0.8.0", 13).min_cc == "7.5"
    # docs/installation.md at jax-v0.4.20: driver >= 525.60.13 (CUDA 12), >= 450.80.02 (CUDA 11)
    assert J.min_driver_for(es, "0.4.20", 11) == "450.80.02"
    assert J.plugin_pins(es, "0.4.20", 12).kind == "jaxlib-local"
    assert J.plugin_version_for(es, "0.4.20", 12) is None
    # pip index versions jax-cuda13-plugin starts at 0.7.2, though jax 0.7.0 has a cuda13 extra
    assert J.plugin_pins(es, "0.7.0", 13) is None and J.cuda_majors(es, "0.7.2") == [12, 13]
    assert [e.jax for e in J.release_for_plugin(es, "0.4.36", 12)] == ["0.4.37", "0.4.36"]


def test_python_wheels():
    es = entries()
    # https://pypi.org/project/jaxlib/0.12.0.1/#files : cp312, cp313, cp314 Linux x86_64 wheels
    assert J.release(es, "0.12.0.1").jaxlib_pythons == ["3.12", "3.13", "3.14"]
    assert J.release(es, "0.12.0.1").python == ">=3.12"
