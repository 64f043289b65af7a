from __future__ import annotations

import pytest

from accelctl.matrices import load
from accelctl.matrices.base import ErrorSink
from accelctl.matrices.subjects import cuda_toolkit as T

RN = "https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html"
RN131 = "https://docs.nvidia.com/cuda/archive/13.1.0/cuda-toolkit-release-notes/index.html"


def entries():
    return load("cuda_toolkit").entries


def test_loads_and_covers_range():
    es = entries()
    versions = {e.cuda for e in es}
    assert {"11.0.2", "11.8.0", "12.4.0", "12.4.1", "12.9.1", "13.0.0", "13.4.2", "13.5.0"} <= versions
    assert all(e.provenance.source and e.provenance.read == "2026-11-22" for e in es)
    # the 11.0.1 RC row of NVIDIA's table is outside the range (11.0 GA onwards)
    assert "11.0.1" not in versions


def test_sample_facts():
    es = entries()
    # RN "Older CUDA versions (12.9 and earlier)": CUDA 12.4 GA >=550.54.14 / >=551.61, 12.4 Update 1 >=550.54.15 / >=551.78
    assert (T.find_release(es, "12.4.0").min_driver_linux, T.find_release(es, "12.4.0").min_driver_windows) == ("550.54.14", "551.61")
    assert (T.min_driver_for(es, "12.4.1"), T.min_driver_for(es, "12.4.1", "windows")) == ("550.54.15", "551.78")
    # same table: CUDA 11.8 GA >=520.61.05 (Linux) / >=520.06 (Windows)
    assert T.min_driver_for(es, "11.8") == "520.61.05"
    assert T.min_driver_for(es, "11.8", "windows") == "520.06"
    # RN131: CUDA 13.0 GA >=580.65.06, Windows N/A
    assert T.min_driver_for(es, "13.0.0") == "580.65.06"
    # NVIDIA redistrib_13.2.1.json (nvidia_driver), read in the NixOS/nixpkgs mirror: 595.58.03
    assert T.min_driver_for(es, "13.2.1") == "595.58.03"
    # RN (13.4 Update 1): CUDA 13.4 -> R615; GA is versioned 13.4.1 (13.4.0 was a developer preview)
    ga = T.find_release(es, "13.4")
    assert ga.cuda == "13.4.1" and ga.driver_branch == "R615" and ga.min_driver_linux == "615"


def test_min_driver_for_minor_uses_ga():
    es = entries()
    assert T.min_driver_for(es, "12.4") == T.min_driver_for(es, "12.4.0") == "550.54.14"
    assert T.min_driver_for(es, "11.0") == "450.51.05"  # 11.0 GA is 11.0.2
    assert T.min_driver_for(es, "12.7") is None  # there is no CUDA 12.7
    assert T.min_driver_for(es, "12.3.2") is None  # not a row of the driver table
    assert T.min_driver_for(es, "not-a-version") is None
    assert T.min_driver_for(es, "13.5") is None  # known release, driver not known
    with pytest.raises(ValueError):
        T.min_driver_for(es, "12.4", "macos")


def test_newest_cuda_for_driver_boundaries():
    es = entries()
    assert T.newest_cuda_for_driver(es, "550.54.14") == "12.4.0"
    assert T.newest_cuda_for_driver(es, "550.54.15") == "12.4.1"
    assert T.newest_cuda_for_driver(es, "550.54.13") == "12.3.1"
    assert T.newest_cuda_for_driver(es, "450.51.04") is None
    assert T.newest_cuda_for_driver(es, "610.43.02") == "13.3.1"
    assert T.newest_cuda_for_driver(es, "615.31") == "13.4.2"  # branch-level minimum "615"
    assert T.newest_cuda_for_driver(es, "520.06", "windows") == "11.8.0"
    assert T.newest_cuda_for_driver(es, "garbage") is None


def test_check_rejects_duplicates_and_missing_ga():
    e = T.CudaToolkitRelease(cuda="12.4.1", label="x", ga=False)
    sink = ErrorSink("t", ["a", "b"])
    T._check([e, e], sink)
    joined = "\n".join(sink.problems)
    assert "duplicate release" in joined and "no GA entry" in joined
