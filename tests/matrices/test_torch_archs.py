"""The torch_archs matrix: generated from PyTorch's wheel build scripts, joined into the pytorch matrix."""

from __future__ import annotations

import re

import pytest

from accelctl.matrices import MatrixSet, load
from accelctl.matrices.explain import answer
from accelctl.matrices.subjects.cuda_arch_support import archs_possible
from accelctl.matrices.subjects.pytorch import archs_for, entry
from accelctl.matrices.subjects.torch_archs import archs_of


@pytest.fixture(scope="module")
def archs():
    return load("torch_archs").entries


@pytest.fixture(scope="module")
def builds():
    return load("pytorch").entries


def test_every_entry_is_sourced_and_read(archs):
    assert archs and all(a.provenance.source and a.provenance.read for a in archs)
    # an entry with a list names the script at a commit; one without says why in its note
    for a in archs:
        if a.arch_list is not None or a.gfx_list is not None:
            assert any(re.search(r"/blob/[0-9a-f]{40}/", s) for s in a.provenance.source), a
        else:
            assert a.provenance.note and a.provenance.note.startswith("Unknown:"), a


def test_spot_checks_against_the_scripts(archs):
    # pytorch/builder release/2.1 manywheel/build_cuda.sh: base "5.0;6.0;7.0;7.5;8.0;8.6", 11.8 adds 3.7 and 9.0
    assert archs_of(archs, "2.1.0", "cu118").arch_list == ["3.7", "5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0"]
    # release/2.4: 12.4 on cuda-aarch64 is "9.0" alone
    assert archs_of(archs, "2.4.0", "cu124", "aarch64").arch_list == ["9.0"]
    # release/1.9 manywheel/build.sh: "3.7;5.0;6.0;7.0" plus 7.5, 8.0, 8.6 for 11.1; nothing more for 10.2
    assert archs_of(archs, "1.9.0", "cu111").arch_list == ["3.7", "5.0", "6.0", "7.0", "7.5", "8.0", "8.6"]
    assert archs_of(archs, "1.9.0", "cu102").arch_list == ["3.7", "5.0", "6.0", "7.0"]
    # release/2.3 manywheel/build_docker.sh: gfx942 only from ROCm 6.0
    assert "gfx942" in archs_of(archs, "2.3.0", "rocm6.0").gfx_list
    assert "gfx942" not in archs_of(archs, "2.3.0", "rocm5.7").gfx_list


def test_a_list_that_moved_just_before_a_release_is_unknown(archs):
    # builder release/1.13 dropped 8.6 on 2022-10-27 ("Temporarily removing sm86 for pypi binaries") and restored
    # it the same day; torch 1.13.0 was uploaded on 2022-10-28
    e = archs_of(archs, "1.13.0", "cu117")
    assert e.arch_list is None and "1614116afe" in e.provenance.note
    # release/2.5 reverted "+PTX" for 12.4 on 2024-10-04: the SASS list is certain, the PTX targets are not
    e = archs_of(archs, "2.5.0", "cu124")
    assert e.arch_list == ["5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0"] and e.ptx is None


def test_rocm_lists_left_to_cmake_are_unknown(archs):
    e = archs_of(archs, "1.10.0", "rocm4.2")
    assert e.gfx_list is None and "LoadHIP.cmake" in e.provenance.note


def test_the_pytorch_matrix_takes_the_lists_it_lacks(builds):
    # 2.4.0+cu124 records no aarch64 list of its own: the script's comes in; its x86_64 list stays
    b = entry(builds, "2.4.0+cu124")
    assert archs_for(b, "aarch64") == (["9.0"], [])
    assert archs_for(b, "x86_64")[0] == ["5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0"]
    # a list read from the wheel itself is never replaced
    assert archs_for(entry(builds, "2.11.0+cu130"), "x86_64") == (["7.5", "8.0", "8.6", "9.0", "10.0", "12.0"], [])


def test_script_lists_agree_with_the_pytorch_matrix_where_both_speak(archs):
    raw = MatrixSet().get("pytorch")  # joined: compare with the file's own values
    from accelctl.matrices import bundled_dir, load_file, spec

    own = {(b.torch, b.variant): b for b in load_file(spec("pytorch"), bundled_dir() / "pytorch.yaml").entries}
    checked = 0
    for a in archs:
        b = own.get((a.torch, a.variant))
        if b is None:
            continue
        theirs = (b.arch_list if a.platform == "x86_64" else b.arch_list_aarch64) if a.arch_list is not None else None
        if a.arch_list is not None and theirs is not None:
            assert a.arch_list == theirs, (a.torch, a.variant, a.platform)
            checked += 1
        if a.gfx_list is not None and b.gfx_list is not None:
            assert a.gfx_list == b.gfx_list, (a.torch, a.variant)
            checked += 1
    assert checked >= 40 and raw.entries


def test_node_ground_truth_is_inside_the_cuda_13_bound():
    # torch.cuda.get_arch_list() of torch 2.11.0+cu130 on the project's H100 node (driver 580.159.04)
    reported = ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"]
    builds = load("pytorch").entries
    sass = archs_for(entry(builds, "2.11.0+cu130"), "x86_64")[0]
    assert ["sm_" + c.replace(".", "") for c in sass] == reported
    low, high = archs_possible(load("cuda_arch_support").entries, "13.0")
    assert low == "7.5" and high.startswith("12.")
    assert all(tuple(map(int, c.split("."))) >= (7, 5) for c in sass)


@pytest.mark.parametrize(("cuda", "low", "high"), [("10.2", "3.0", "7.5"), ("12.6", "5.0", "9.0"), ("13.0", "7.5", "12.1")])
def test_archs_possible(cuda, low, high):
    # cuda_arch_support: sm_80 first in CUDA 11.0, sm_120 first in 12.8, Maxwell-Volta dropped in 13.0
    assert archs_possible(load("cuda_arch_support").entries, cuda) == (low, high)


def test_explain_lists_archs_with_their_source():
    text = answer("torch 2.4.1", MatrixSet())["text"]
    assert "archs (aarch64 wheel): 9.0 [https://github.com/pytorch/builder/blob/" in text
    text = answer("torch 2.7.1", MatrixSet())["text"]
    for variant in ("cu118", "cu126", "cu128", "rocm6.3"):
        assert f"+{variant}:" in text
    assert text.count("unknown [") >= 3  # the builds whose script was not read say so, with where to look
    text = answer("torch 1.9.0", MatrixSet())["text"]
    assert "+cu111 (x86_64): 3.7, 5.0, 6.0, 7.0, 7.5, 8.0, 8.6 [https://github.com/pytorch/builder/blob/" in text


def test_explain_gives_the_compiler_bound_where_the_list_is_unknown():
    # no build script of torch 2.7.1 was read; CUDA 12.8's compiler targets sm_50 .. sm_120 (cuda_arch_support)
    text = answer("torch 2.7.1", MatrixSet())["text"]
    line = next(x for x in text.splitlines() if x.strip().startswith("archs: unknown") and "CUDA 12.8" in x)
    assert "derived bound: a CUDA 12.8 build can only hold code for 5.0 to 12.0" in line
