"""`matrices explain` answers for every CUDA release, every PyTorch release and every ROCm release."""

from __future__ import annotations

import pytest
from packaging.version import Version

from accelctl.matrices import MatrixSet
from accelctl.matrices.explain import answer
from tests.conftest import run_cli

MS = MatrixSet()


@pytest.mark.parametrize("release", MS.entries("cuda_toolkit"), ids=lambda e: e.cuda)
def test_every_cuda_release_gets_its_driver(release):
    a = answer(f"cuda {release.cuda}", MS)
    assert a["found"]
    assert a["release"]["cuda"] == release.cuda
    assert f">= {release.min_driver_linux or 'unknown'} on Linux" in a["text"]


def test_cuda_minor_names_its_ga_release():
    # CUDA 12.4 GA needs 550.54.14 (Linux) / 551.61 (Windows): CUDA Toolkit release notes, driver table
    a = answer("cuda 12.4", MS)
    assert a["release"]["cuda"] == "12.4.0"
    assert ">= 550.54.14 on Linux, >= 551.61 on Windows" in a["text"]
    assert "525.60.13" in a["text"]  # the 12.x minor-version compatibility floor


@pytest.mark.parametrize("torch", sorted({e.torch for e in MS.entries("pytorch")}, key=Version))
def test_every_torch_release_lists_its_builds(torch):
    a = answer(f"torch {torch}", MS)
    assert a["found"]
    variants = {b["variant"] for b in a["builds"]}
    expected = {e.variant for e in MS.entries("pytorch") if e.torch == torch}
    assert variants == expected
    for v in variants:
        assert f"+{v}:" in a["text"]


def test_rocm_releases():
    entries = MS.entries("rocm") if "rocm" in MS.names() else []
    if not entries:
        pytest.skip("no rocm matrix")
    for e in entries:
        assert answer(f"rocm {e.rocm}", MS)["found"], e.rocm


def test_sm120_lists_only_builds_with_its_kernels():
    a = answer("sm_120", MS)
    assert a["found"] and "CUDA can target it from 12.8" in a["text"]
    from accelctl.matrices.subjects.pytorch import entry, supports_cc

    for name in a["torch_builds"]:
        torch, variant = name.split("+")
        assert supports_cc(entry(MS.entries("pytorch"), torch, variant), "12.0") is True


def test_driver_query():
    a = answer("driver 535.104.05", MS)
    assert a["newest_cuda"].startswith("12.2") and 12 in a["minor_compat_majors"] and 13 not in a["minor_compat_majors"]


def test_unknown_queries_exit_1():
    code, out, _ = run_cli(["matrices", "explain", "cuda", "99.9"])
    assert code == 1 and "not in the cuda_toolkit matrix" in out
    code, out, _ = run_cli(["matrices", "explain", "nonsense"])
    assert code == 1 and "Try:" in out


def test_explain_cudnn_gives_the_floor_of_each_build_it_shipped():
    from accelctl.matrices import MatrixSet
    from accelctl.matrices.explain import answer

    text = answer("cudnn 8.9.2", MatrixSet())["text"]
    assert "CUDA 12 build: lowest compute capability 5.0" in text and "CUDA 13" not in text
    text = answer("cudnn 9.13.0", MatrixSet())["text"]
    assert "between 5.0 and 7.5" in text and "CUDA 11" not in text


def test_explain_gaudi_and_neuron_releases():
    from accelctl.matrices import MatrixSet
    from accelctl.matrices.explain import answer

    gaudi = answer("gaudi 1.21.0", MatrixSet())
    assert gaudi["found"] and "pytorch: ['2.6.0']" in gaudi["text"]
    neuron = answer("neuron 2.28.1", MatrixSet())
    assert neuron["found"] and "neuron_driver: 2.26.10.0" in neuron["text"]


def test_explain_tpu_pairing():
    from accelctl.matrices import MatrixSet
    from accelctl.matrices.explain import answer

    got = answer("tpu jax 0.4.20", MatrixSet())
    assert got["found"] and "libtpu_nightly: ==0.1.dev20231102" in got["text"]
    assert not answer("tpu jax 9.9", MatrixSet())["found"]
