from __future__ import annotations

import pytest

from accelctl.matrices import load
from accelctl.matrices.subjects.pytorch import (
    arch_list,
    default_variant,
    entry,
    manylinux_glibc,
    releases_running_on,
    resolve_installed,
    supports_cc,
    variants_for,
)


@pytest.fixture(scope="module")
def es():
    return load("pytorch").entries


def test_loads_and_every_release_has_a_pypi_default(es):
    releases = {e.torch for e in es}
    # https://pypi.org/simple/torch/ lists 1.13.0 .. 2.15.0 (read 2026-11-22)
    assert "1.13.0" in releases and "2.15.0" in releases and len(releases) == 30
    for v in releases:
        assert default_variant(es, v, "x86_64") is not None, v
        assert default_variant(es, v, "aarch64") is not None, v
    assert all(e.provenance.source and e.provenance.read == "2026-11-22" for e in es)


def test_torch_2_11_cu130_pins(es):
    # torch-2.11.0-cp312-cp312-manylinux_2_28_x86_64.whl.metadata on files.pythonhosted.org:
    # cuda-toolkit[...]==13.0.2, nvidia-cudnn-cu13==9.19.0.56, nvidia-nccl-cu13==2.28.9, triton==3.6.0
    e = default_variant(es, "2.11.0", "x86_64")
    assert e.variant == "cu130" and e.runtime_version == "13.0"
    assert e.pins["nvidia-cudnn-cu13"] == "9.19.0.56"
    assert e.pins["nvidia-nccl-cu13"] == "2.28.9"
    assert e.pins["triton"] == "3.6.0"
    assert e.pins["cuda-toolkit"] == "13.0.2"
    assert e.manylinux == "manylinux_2_28" and manylinux_glibc(e.manylinux) == "2.28"
    # the aarch64 PyPI wheel of 2.11.0 carries the same CUDA pins (419 MB wheel)
    assert default_variant(es, "2.11.0", "aarch64").variant == "cu130"


def test_older_pypi_defaults(es):
    # torch-2.5.1 ...manylinux1_x86_64.whl METADATA: nvidia-cuda-runtime-cu12==12.4.127, cudnn 9.1.0.70, nccl 2.21.5
    e = default_variant(es, "2.5.1")
    assert e.variant == "cu124" and e.pins["nvidia-cudnn-cu12"] == "9.1.0.70"
    assert e.pins["nvidia-nccl-cu12"] == "2.21.5" and e.pins["triton"] == "3.1.0"
    assert e.manylinux == "manylinux1" and manylinux_glibc("manylinux1") == "2.5"
    # aarch64 PyPI wheels before 2.11 pin nvidia-* only for platform_machine == "x86_64": CPU builds
    assert default_variant(es, "2.10.0", "aarch64").variant == "cpu"
    # torch-1.13.1 METADATA: nvidia-cuda-runtime-cu11==11.7.99, nvidia-cudnn-cu11==8.5.0.96
    e = default_variant(es, "1.13.1")
    assert e.variant == "cu117" and e.pins["nvidia-cudnn-cu11"] == "8.5.0.96"
    # torch-2.15.0 METADATA: cuda-toolkit==13.2.2, nvidia-cudnn-cu13==9.26.0.51, triton~=3.9.0; Requires-Python >=3.11
    e = default_variant(es, "2.15.0")
    assert e.variant == "cu132" and e.pins["triton"] == "~=3.9.0" and e.python == ">=3.11,<3.16"


def test_variant_sets(es):
    # test-infra generate_binary_build_matrix.py "release" lists (see entry sources)
    assert {e.variant for e in variants_for(es, "2.6.0")} == {"cu118", "cu124", "cu126", "rocm6.1", "rocm6.2.4", "xpu", "cpu"}
    assert {e.variant for e in variants_for(es, "2.9.1")} >= {"cu126", "cu128", "cu130"}
    assert entry(es, "2.4.0+cu124") is not None
    assert entry(es, "2.4.0", "cu130") is None
    assert resolve_installed(es, "2.7.1").variant == "cu126"
    assert resolve_installed(es, "2.7.1+cu118").variant == "cu118"


def test_arch_lists_and_cc(es):
    # pytorch/builder release/2.4 manywheel/build_cuda.sh: base 5.0;6.0;7.0;7.5;8.0;8.6, 11.8 adds 3.7;9.0
    assert arch_list(es, "2.4.0", "cu118") == ["3.7", "5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0"]
    assert arch_list(es, "2.4.0", "cu121") == ["5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0"]
    assert arch_list(es, "2.11.0", "cu126") is None  # not read
    cu118 = entry(es, "2.4.0", "cu118")
    assert supports_cc(cu118, "8.9") is True  # SASS 8.6 runs on 8.9
    assert supports_cc(cu118, "10.0") is False  # no PTX shipped
    assert supports_cc(cu118, "3.5") is False
    cu129 = entry(es, "2.8.0", "cu129")
    assert cu129.ptx == ["12.0"] and supports_cc(cu129, "12.1") is True


def test_releases_running_on(es):
    found = {f"{e.torch}+{e.variant}" for e in releases_running_on(es, "3.7", "11.8")}
    assert "2.5.1+cu118" in found and "2.0.0+cu117" in found
    assert not any(v.endswith("cu121") for v in found)  # runtime newer than the driver
    # Blackwell (12.0) needs an arch list with 12.0: the recorded 2.8-2.10 CUDA 12.8/12.9 builds
    found = {f"{e.torch}+{e.variant}" for e in releases_running_on(es, "12.0", "12.9")}
    assert found == {"2.8.0+cu128", "2.8.0+cu129", "2.9.0+cu128", "2.9.1+cu128", "2.10.0+cu128"}


def test_pypi_wheel_fatbin_arch_lists(es):
    # fatbin scan of torch/lib/libtorch_cuda.so in the PyPI wheel
    # https://files.pythonhosted.org/packages/1a/c9/82638ef24d7877510f83baf821f5619a61b45568ce21c0a87a91576510aa/torch-2.11.0-cp312-cp312-manylinux_2_28_x86_64.whl
    # SASS for these in all 444 fatbins, no PTX; cuobjdump --list-elf agrees, and
    # torch.cuda.get_arch_list() of 2.11.0+cu130 on the H100 node lists the same six.
    e = default_variant(es, "2.11.0", "x86_64")
    assert e.variant == "cu130"
    assert e.arch_list == ["7.5", "8.0", "8.6", "9.0", "10.0", "12.0"]
    assert e.ptx == []
    assert supports_cc(e, "9.0") is True  # H100
    assert supports_cc(e, "8.9") is True  # SASS 8.6 runs on 8.9
    assert supports_cc(e, "12.1") is True
    assert supports_cc(e, "7.0") is False  # Volta dropped in 2.11 (2.10.0 still had 7.0)
    assert supports_cc(e, "11.0") is False  # the x86_64 wheel has no 11.0 SASS and no PTX
    assert "7.0" in arch_list(es, "2.10.0", "cu128")
    # scan and build scripts agree where both exist: 2.8.0 cu128 (build_cuda.sh) == fatbin scan
    assert arch_list(es, "2.8.0", "cu128") == ["7.0", "7.5", "8.0", "8.6", "9.0", "10.0", "12.0"]
    # torch-2.6.0-cp312-cp312-manylinux1_x86_64.whl: 341 fatbins, Maxwell..Hopper
    assert arch_list(es, "2.6.0", "cu124") == ["5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0"]


def test_aarch64_wheels_have_their_own_arch_lists():
    from accelctl.matrices import MatrixSet
    from accelctl.matrices.subjects.pytorch import archs_for, default_variant, supports_cc

    es = MatrixSet().entries("pytorch")
    build = default_variant(es, "2.11.0", "aarch64")
    assert archs_for(build, "aarch64") == (["8.0", "9.0", "10.0", "11.0", "12.0"], [])
    assert supports_cc(build, "7.5", "aarch64") is False and supports_cc(build, "7.5", "x86_64") is True
    assert supports_cc(build, "11.0", "aarch64") is True
    old = default_variant(es, "2.6.0", "x86_64")
    assert archs_for(old, "aarch64") == (None, [])  # not recorded: nothing assumed
    assert supports_cc(old, "9.0", "aarch64") is None


def test_gfx_lists_belong_to_rocm_builds_only():
    from accelctl.matrices import MatrixError
    from accelctl.matrices.base import parse_matrix
    from accelctl.matrices.subjects.pytorch import SPEC

    def doc(entry):
        base = {"torch": "2.5.1", "index_url": "https://download.pytorch.org/whl/rocm6.2",
                "source": "https://example.invalid/build.sh", "read": "2026-11-22", **entry}
        return {"schema": 1, "name": "pytorch", "version": 1, "updated": "2026-11-22", "description": "t", "entries": [base]}

    ok = parse_matrix(SPEC, doc({"variant": "rocm6.2", "runtime_kind": "rocm", "runtime_version": "6.2",
                                 "gfx_list": ["gfx90a", "gfx942"]}), "t.yaml", check_kinds=False)
    assert ok.entries[0].gfx_list == ["gfx90a", "gfx942"]
    for bad, field in (({"variant": "cu124", "runtime_kind": "cuda", "runtime_version": "12.4", "gfx_list": ["gfx90a"]}, "gfx_list"),
                       ({"variant": "rocm6.2", "runtime_kind": "rocm", "runtime_version": "6.2", "gfx_list": ["sm_90"]}, "gfx_list")):
        with pytest.raises(MatrixError) as info:
            parse_matrix(SPEC, doc(bad), "t.yaml", check_kinds=False)
        assert any(field in p for p in info.value.problems)
