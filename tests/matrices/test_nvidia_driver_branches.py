from __future__ import annotations

import datetime as dt

from accelctl.matrices import load
from accelctl.matrices.base import ErrorSink
from accelctl.matrices.subjects import cuda_toolkit as T
from accelctl.matrices.subjects import nvidia_driver_branches as B

D615 = "https://docs.nvidia.com/datacenter/tesla/drivers/615/supported-drivers-and-cuda-toolkit-versions.html"
D580 = "https://docs.nvidia.com/datacenter/tesla/drivers/supported-drivers-and-cuda-toolkit-versions.html"
EOLD = "https://github.com/endoflife-date/endoflife.date/blob/master/products/nvidia-driver.md"


def entries():
    return load("nvidia_driver_branches").entries


def by(branch):
    return next(e for e in entries() if e.branch == branch)


def test_loads_and_covers_branches():
    branches = {e.branch for e in entries()}
    assert {"R470", "R525", "R535", "R545", "R550", "R560", "R565", "R570", "R575", "R580", "R590", "R595", "R610"} <= branches
    assert all(e.provenance.source and e.provenance.read == "2026-11-22" for e in entries())


def test_sample_facts():
    # D615: R535 LTSB EOL June 2026; R580 LTSB EOL June 2028; R595 PB EOL March 2027; R610 NFB EOL August 2026
    assert (by("R535").type, by("R535").eol) == ("ltsb", "2026-06")
    assert (by("R580").type, by("R580").eol) == ("ltsb", "2028-06")
    assert (by("R595").type, by("R595").eol) == ("production", "2027-03")
    assert (by("R610").type, by("R610").eol) == ("new-feature", "2026-08")
    # D580: R570 Production Branch, End of Life February 2026; R550/R525 among the end-of-life branches
    assert (by("R570").type, by("R570").eol) == ("production", "2026-02")
    assert by("R550").eol_declared and by("R525").eol_declared
    # EOLD (from NVIDIA releases.json): R535 first Linux release 2023-06-14, R545 a New Feature Branch
    assert by("R535").released == "2023-06-14"
    assert by("R545").type == "new-feature"
    # CUDA release notes driver table: CUDA 12.2 GA >= 535.54.03, 12.3 GA >= 545.23.06 -> R535 runs 12.2
    assert by("R535").max_cuda == "12.2"
    assert by("R470").max_cuda == "11.4"
    assert by("R580").max_cuda == "13.0"


def test_max_cuda_agrees_with_cuda_toolkit_matrix():
    # For every branch with a known latest release, the newest CUDA that release fully supports
    # (cuda_toolkit matrix) has the same major.minor as max_cuda.
    tk = load("cuda_toolkit").entries
    for e in entries():
        if e.latest_linux:
            newest = T.newest_cuda_for_driver(tk, e.latest_linux)
            assert newest is not None and ".".join(newest.split(".")[:2]) == e.max_cuda, e.branch


def test_branch_of():
    assert B.branch_of("535.104.05") == "R535"
    assert B.branch_of("580.65.06") == "R580"
    assert B.branch_of("570.26") == "R570"
    assert B.branch_of("535") == "R535"
    assert B.branch_of("r535") == "R535"
    assert B.branch_of(" R580 ") == "R580"
    assert B.branch_of("R535.104.05") is None
    assert B.branch_of("12.4") is None
    assert B.branch_of("latest") is None


def test_is_eol_boundaries():
    es = entries()
    # R535: "June 2026" -> supported through 2026-06-30
    assert B.is_eol(es, "535.104.05", dt.date(2026, 6, 30)) is False
    assert B.is_eol(es, "535.104.05", dt.date(2026, 7, 1)) is True
    assert B.is_eol(es, "R580", "2026-11-22") is False
    assert B.is_eol(es, "580.65.06", "2028-07-01") is True
    assert B.is_eol(es, "570.86.15", "2026-02-28") is False
    assert B.is_eol(es, "570.86.15", "2026-03-01") is True
    # declared end of life without a date
    assert B.is_eol(es, "550.54.14", "2020-01-01") is True
    # unknown end of life / unknown branch
    assert B.is_eol(es, "545.29.06", "2026-11-22") is None
    assert B.is_eol(es, "999.1", "2026-11-22") is None
    assert B.is_eol(es, "garbage", "2026-11-22") is None
    assert B.max_cuda_for(es, "535.104.05") == "12.2"
    assert B.eol_date(by("R595")) == dt.date(2027, 3, 31)


def test_check_rejects_bad_rows():
    bad = [B.DriverBranch(branch="535"), B.DriverBranch(branch="R550", type="stable", eol="June 2026", latest_linux="535.1.2"),
           B.DriverBranch(branch="R560", max_cuda="12.6"), B.DriverBranch(branch="R570", max_cuda="12.4"),
           B.DriverBranch(branch="R560", max_cuda="12.6")]
    sink = ErrorSink("t", [e.branch for e in bad])
    B._check(bad, sink)
    text = "\n".join(sink.problems)
    for word in ("like 'R535'", "type", "eol", "latest_linux", "supports less CUDA", "duplicate"):
        assert word in text, word
