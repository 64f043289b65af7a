"""The cudnn_support matrix against its sources, and the bounds its query gives."""

from __future__ import annotations

from accelctl.matrices import MatrixSet
from accelctl.matrices.subjects import cudnn_support


def entries():
    return MatrixSet(use_compiled=False).entries("cudnn_support")


def test_sampled_facts_match_nvidias_support_matrices():
    got = {(e.library, e.version, e.cuda_major): e.min_cc for e in entries()}
    assert got[("cudnn", "8.2.2", 11)] == "3.5"  # "SM 3.5 and later"
    assert got[("cudnn", "8.9.1", 12)] == "5.0"  # Kepler gone from the list
    assert got[("cudnn", "9.10.2", 12)] == "5.0"
    assert got[("cudnn", "9.17.0", 12)] == "7.5" and got[("cudnn", "9.17.0", 13)] == "7.5"
    assert got[("cublas", "13.0.0", 13)] == "7.5"
    assert all(e.provenance.source and e.provenance.read for e in entries())


def test_a_release_between_two_recorded_ones_is_bounded_by_them():
    f = cudnn_support.floor(entries(), "cudnn", "9.13.0.50", 12)
    assert (f.low, f.high) == ("5.0", "7.5")
    assert cudnn_support.supports(f, "8.0") is True
    assert cudnn_support.supports(f, "7.0") is None
    assert cudnn_support.supports(f, "3.7") is False


def test_cuda_13_builds_are_bounded_by_cuda_13s_own_floor():
    f = cudnn_support.floor(entries(), "cudnn", "9.13.0.50", 13)
    assert f.low == "7.5" and cudnn_support.supports(f, "6.1") is False


def test_a_newer_release_of_a_recorded_major_keeps_its_newest_floor():
    f = cudnn_support.floor(entries(), "cudnn", "9.26.0.51", 13)
    assert f.exact and f.low == "7.5" and cudnn_support.supports(f, "9.0") is True


def test_newest_release_supporting_a_pascal_gpu():
    e = cudnn_support.newest_supporting(entries(), "cudnn", 12, "6.1")
    assert e is not None and e.version == "9.10.2"
    assert cudnn_support.newest_supporting(entries(), "cudnn", 13, "6.1") is None
