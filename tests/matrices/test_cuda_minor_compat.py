from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects import cuda_minor_compat as M


def toolkit():
    return load("cuda_toolkit").entries


def minor():
    return load("cuda_minor_compat").entries


def test_loads():
    es = minor()
    assert sorted(e.cuda_major for e in es) == [11, 12, 13]
    assert all(e.provenance.source and e.limits for e in es)


def test_sample_facts():
    es = minor()
    # https://docs.nvidia.com/deploy/cuda-compatibility/forward-compatibility.html :
    # "525.60.13 which is the minimum required driver version for the 12.x toolkits"; range "< 580" (release notes)
    m12 = M.for_major(es, 12)
    assert m12.min_driver_linux == "525.60.13" and m12.range_end_branch == "580"
    # https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html : 11.x needs 450.80.02 (Linux) / 452.39 (Windows)
    m11 = M.for_major(es, 11)
    assert (m11.min_driver_linux, m11.min_driver_windows) == ("450.80.02", "452.39")
    # same notes: 13.x >= 580, no upper end
    assert M.for_major(es, 13).min_driver_linux == "580" and M.for_major(es, 13).range_end_branch is None
    # https://docs.nvidia.com/deploy/cuda-compatibility/minor-version-compatibility.html : PTX JIT limit
    assert any("PTX" in lim.what for lim in M.for_major(es, 12).limits)
    assert any(lim.symptom == "cudaErrorCallRequiresNewerDriver" for lim in M.for_major(es, 13).limits)


def test_compat_status_boundaries():
    t, m = toolkit(), minor()
    assert M.compat_status(t, m, "550.54.14", "12.4") == "full"
    assert M.compat_status(t, m, "550.54.14", "12.4.1") == "minor-compat"  # 12.4 Update 1 needs 550.54.15
    assert M.compat_status(t, m, "525.60.13", "12.9") == "minor-compat"
    assert M.compat_status(t, m, "525.60.12", "12.9") == "unsupported"
    assert M.compat_status(t, m, "470.82.01", "12.4") == "unsupported"
    assert M.compat_status(t, m, "580.65.06", "13.4") == "minor-compat"
    assert M.compat_status(t, m, "579.99", "13.0") == "unsupported"
    assert M.compat_status(t, m, "615.31", "13.4") == "full"
    assert M.compat_status(t, m, "600.10", "13.5") == "minor-compat"  # 13.5's own minimum is not known
    assert M.compat_status(t, m, "450.51.05", "11.0") == "full"
    assert M.compat_status(t, m, "450.51.05", "11.1") == "unsupported"  # below 450.80.02
    assert M.compat_status(t, m, "560.94", "12.6", os="windows") == "full"
    assert M.compat_status(t, m, "528.33", "12.6", os="windows") == "minor-compat"
    assert M.compat_status(t, m, "not.a.driver", "12.4") == "unknown"
    assert M.compat_status(t, m, "550.54.14", "x") == "unknown"
    assert M.compat_status(t, m, "999.1", "14.0") == "unknown"
