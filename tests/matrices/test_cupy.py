from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects import cupy as C


def test_loads():
    es = load("cupy").entries
    assert {"cupy-cuda11x", "cupy-cuda12x", "cupy-cuda13x", "cupy-14"} <= {e.name for e in es}


def test_packages():
    es = load("cupy").entries
    # https://github.com/cupy/cupy/blob/v13.6.0/docs/source/install.rst : v11.2 ~ 11.8 -> cupy-cuda11x; v12.x -> cupy-cuda12x
    assert C.cuda_for_cupy_package(es, "cupy-cuda11x") == ("11.2", "11.8")
    assert C.cuda_for_cupy_package(es, "cupy_cuda12x") == ("12.0", None)
    assert C.package_supports_cuda(es, "cupy-cuda11x", "11.8.89") is True
    assert C.package_supports_cuda(es, "cupy-cuda11x", "11.1") is False
    assert C.package_supports_cuda(es, "cupy-cuda12x", "13.0") is False
    assert C.package_supports_cuda(es, "cupy-cuda99x", "13.0") is None
    # https://github.com/cupy/cupy/blob/v10.6.0/docs/source/install.rst : v11.7 -> cupy-cuda117
    assert C.cuda_for_cupy_package(es, "cupy-cuda117") == ("11.7", "11.7")
    assert C.package_for_cuda(es, "13.1")[0] == "cupy-cuda13x"


def test_releases():
    es = load("cupy").entries
    # https://github.com/cupy/cupy/blob/v14.2.0/docs/source/install.rst : CUDA v12.0 ... v12.9 / v13.0 / v13.1 / v13.2
    v14 = C.cuda_versions_for(es, 14)
    assert v14[0] == "12.0" and v14[-1] == "13.2" and "11.8" not in v14
    assert "11.2" in C.cuda_versions_for(es, 13)
    assert C.cuda_versions_for(es, 3) == []
