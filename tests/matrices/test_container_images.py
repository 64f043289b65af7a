from __future__ import annotations

import pytest

from accelctl.matrices import load
from accelctl.matrices.base import MatrixError, parse_matrix
from accelctl.matrices.subjects import container_images as C

GL = "https://gitlab.com/nvidia/container-images/cuda/-/blob/master/"


@pytest.fixture(scope="module")
def es():
    return load("container_images").entries


def _get(es, ref):
    e = C.find_image(es, ref)
    assert e is not None, ref
    return e


def test_loads_and_covers_the_image_lines(es):
    repos = {e.repository for e in es}
    assert {
        "nvidia/cuda",
        "nvcr.io/nvidia/pytorch",
        "pytorch/pytorch",
        "rocm/pytorch",
        "rocm/dev-ubuntu-24.04",
        "intel/oneapi-basekit",
        "intel/intel-extension-for-pytorch",
        "vllm/vllm-openai",
    } <= repos
    cuda = {e.runtime_version for e in es if e.repository == "nvidia/cuda"}
    assert {"11.8.0", "12.1.1", "12.4.1", "12.6.3", "12.8.1", "12.9.1", "13.0.0"} <= cuda
    # every flavor of 12.8.1 on both Ubuntu releases (doc/supported-tags.md)
    flavors = {(e.flavor, e.os) for e in es if e.repository == "nvidia/cuda" and e.runtime_version == "12.8.1"}
    assert len(flavors) == 10
    assert all(e.provenance.source and e.provenance.read == "2026-11-22" for e in es)


def test_nvidia_cuda_dockerfile_facts(es):
    # GL + "dist/12.4.1/ubuntu2204/runtime/cudnn/Dockerfile": ENV NV_CUDNN_VERSION 9.1.0.70-1
    # GL + "dist/12.4.1/ubuntu2204/runtime/Dockerfile": ENV NCCL_VERSION 2.21.5-1
    e = _get(es, "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04")
    assert (e.cudnn, e.nccl, e.flavor, e.os) == ("9.1.0.70", "2.21.5", "cudnn-runtime", "ubuntu22.04")
    # GL + "dist/12.4.1/ubuntu2204/base/Dockerfile":
    #   NVIDIA_REQUIRE_CUDA "cuda>=12.4 brand=tesla,driver>=470,driver<471 ..."
    base = _get(es, "nvidia/cuda:12.4.1-base-ubuntu22.04")
    assert base.nvidia_require_cuda.startswith("cuda>=12.4 brand=tesla,driver>=470,driver<471 ")
    assert "brand=titanrtx,driver>=535,driver<536" in base.nvidia_require_cuda
    assert base.cudnn is None and base.nccl is None and base.python is None
    # GL + "dist/13.0.0/ubuntu2404/runtime/cudnn/Dockerfile": NV_CUDNN_VERSION=9.12.0.46-1; NCCL_VERSION=2.27.7-1
    e = _get(es, "nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04")
    assert (e.cudnn, e.nccl) == ("9.12.0.46", "2.27.7")
    assert e.nvidia_require_cuda.startswith("cuda>=13.0 brand=unknown,driver>=535,driver<536")
    # GL + "dist/11.8.0/ubuntu2204/runtime/cudnn8/Dockerfile": NV_CUDNN_VERSION 8.9.6.50 (tag spells cudnn8)
    assert _get(es, "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04").cudnn == "8.9.6.50"
    # GL + "dist/12.3.2/ubuntu2204/base/Dockerfile": the arm64 (sbsa) stage sets NVIDIA_REQUIRE_CUDA "CUDA>=12.3"
    assert _get(es, "nvidia/cuda:12.3.2-base-ubuntu22.04").nvidia_require_cuda_arm64 == "CUDA>=12.3"
    # GL + "doc/supported-tags.md": 12.4.1 is published for ubuntu22.04 only (ubuntu24.04 starts with 12.5.1)
    assert C.find_image(es, "nvidia/cuda:12.4.1-base-ubuntu24.04") is None
    assert C.find_image(es, "nvidia/cuda:12.5.1-base-ubuntu24.04") is not None


def test_nvidia_cuda_status(es):
    # GL + "doc/supported-tags.md" (2025-08-18): 12.8.1 listed as supported
    e = _get(es, "nvidia/cuda:12.8.1-cudnn-devel-ubuntu24.04")
    assert (e.status, e.status_as_of) == ("supported", "2025-08-18")
    # GL + "doc/unsupported-tags.md": 12.4.0 and 12.8.0 are unsupported (superseded patch releases)
    assert C.is_end_of_life(es, "nvidia/cuda:12.4.0-base-ubuntu22.04") is True
    assert C.is_end_of_life(es, "nvidia/cuda:12.8.0-runtime-ubuntu24.04") is True
    # GL + "doc/support-policy.md": CUDA 11 is marked EOL once CUDA 13 is released
    assert C.is_end_of_life(es, "nvidia/cuda:11.8.0-devel-ubuntu22.04") is True
    # replicate/cog cuda_compatibility.json (2026-05-05) lists 13.0.1-13.0.3 cudnn-devel tags -> 13.0.0 superseded
    assert _get(es, "nvidia/cuda:13.0.0-base-ubuntu24.04").status == "end-of-life"
    assert _get(es, "nvidia/cuda:13.0.3-cudnn-devel-ubuntu24.04").status == "unknown"


def test_ngc_pytorch_facts(es):
    # https://docs.nvidia.com/deeplearning/frameworks/pytorch-release-notes/rel-24-10.html
    # (as transcribed): CUDA 12.6.2, PyTorch 2.5.0a0+e000cf0ad9, Ubuntu 22.04, Python 3.10.12, driver 560 or later
    e = _get(es, "nvcr.io/nvidia/pytorch:24.10-py3")
    assert (e.runtime_version, e.frameworks["torch"], e.os, e.python, e.min_driver) == (
        "12.6.2",
        "2.5.0a0+e000cf0ad9",
        "ubuntu22.04",
        "3.10.12",
        "560",
    )
    # https://docs.nvidia.com/deeplearning/frameworks/pytorch-release-notes/rel-25-12.html:
    # based on CUDA 13.1.0, PyTorch 2.10.0a0+b4e4ee81d3, /usr/local/lib/python3.12, dated 2025-12-22
    e = _get(es, "nvcr.io/nvidia/pytorch:25.12-py3")
    assert (e.runtime_version, e.frameworks["torch"], e.python, e.released) == (
        "13.1.0",
        "2.10.0a0+b4e4ee81d3",
        "3.12",
        "2025-12-22",
    )
    # .../install-pytorch-jetson-platform-release-notes/pytorch-jetson-rel.html: 25.01 -> 2.6.0a0+ecf3bae40a
    assert _get(es, "nvcr.io/nvidia/pytorch:25.01-py3").frameworks["torch"] == "2.6.0a0+ecf3bae40a"
    tags = {e.tag for e in es if e.repository == "nvcr.io/nvidia/pytorch"}
    assert {"24.01-py3", "24.12-py3", "25.06-py3", "26.03-py3"} <= tags
    assert "25.07-py3" not in tags  # the release-notes index has no 25.07


def test_other_vendors(es):
    # https://hub.docker.com/r/rocm/pytorch/tags: tag rocm6.4.1_ubuntu22.04_py3.10_pytorch_release_2.6.0
    e = _get(es, "rocm/pytorch:rocm6.4.1_ubuntu22.04_py3.10_pytorch_release_2.6.0")
    assert (e.vendor, e.runtime_kind, e.runtime_version, e.os, e.python, e.frameworks) == (
        "amd",
        "rocm",
        "6.4.1",
        "ubuntu22.04",
        "3.10",
        {"torch": "2.6.0"},
    )
    # https://hub.docker.com/r/pytorch/pytorch/tags: 2.5.1-cuda12.4-cudnn9-runtime
    e = _get(es, "docker.io/pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime")
    assert (e.runtime_version, e.cudnn, e.flavor, e.frameworks["torch"]) == ("12.4", "9", "runtime", "2.5.1")
    # https://pypi.org/project/vllm/0.30.0/: Requires-Dist torch==2.13.0
    e = _get(es, "vllm/vllm-openai:v0.30.0")
    assert e.frameworks == {"vllm": "0.30.0", "torch": "2.13.0"}
    assert _get(es, "vllm/vllm-openai:v0.30.0-cu129").runtime_version == "12.9"
    # https://hub.docker.com/r/intel/oneapi-basekit/tags
    e = _get(es, "intel/oneapi-basekit:2025.3.0-0-devel-ubuntu22.04")
    assert (e.vendor, e.runtime_kind, e.runtime_version, e.os) == ("intel", "oneapi", "2025.3.0", "ubuntu22.04")


def test_images_for(es):
    got = C.images_for(es, "nvidia", "cuda", "12.4", flavor="cudnn-runtime", os="ubuntu22.04", status="supported")
    refs = [e.tag for e in got]
    # "12.4" keeps 12.4.x (a CUDA 12.4 driver runs any 12.4 patch) and nothing newer
    assert refs[0] == "12.4.1-cudnn-runtime-ubuntu22.04"
    assert "12.5.1-cudnn-runtime-ubuntu22.04" not in refs
    assert "11.8.0-cudnn8-runtime-ubuntu22.04" not in refs  # end-of-life, filtered by status
    assert refs == sorted(refs, key=lambda t: tuple(int(x) for x in t.split("-")[0].split(".")), reverse=True)
    # a three-part maximum compares exactly
    exact = C.images_for(es, "nvidia", "cuda", "12.4.0", flavor="base", os="ubuntu22.04")
    assert exact[0].tag == "12.4.0-base-ubuntu22.04"
    # unknown runtime versions drop out once a maximum is given, stay without one
    ngc = [e for e in C.images_for(es, "nvidia", "cuda") if e.repository == "nvcr.io/nvidia/pytorch"]
    assert any(e.runtime_version is None for e in ngc)
    assert all(e.runtime_version for e in C.images_for(es, "nvidia", "cuda", "13.1"))
    assert C.images_for(es, "amd", "rocm", "6.4", os="ubuntu24.04")[0].runtime_version.startswith("6.4")
    assert C.images_for(es, "intel", "cuda") == []


def test_reference_normalization(es):
    assert C.normalize_reference("docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04@sha256:abc") == (
        "nvidia/cuda",
        "12.4.1-base-ubuntu22.04",
    )
    assert C.normalize_reference("nvcr.io/nvidia/cuda:12.8.1-base-ubuntu24.04")[0] == "nvidia/cuda"
    assert C.normalize_reference("localhost:5000/img") == ("localhost:5000/img", "latest")
    assert C.is_end_of_life(es, "nvcr.io/nvidia/cuda:12.8.1-base-ubuntu24.04") is False
    assert C.is_end_of_life(es, "nvidia/cuda:9.0-base") is None
    assert C.is_end_of_life(es, "rocm/pytorch:rocm6.4.1_ubuntu22.04_py3.10_pytorch_release_2.6.0") is None


def test_newest_patch_tag(es):
    newest = C.newest_patch_tag(es, "nvidia/cuda:12.6.0-cudnn-runtime-ubuntu22.04")
    assert newest.tag == "12.6.3-cudnn-runtime-ubuntu22.04"
    assert C.newest_patch_tag(es, "nvidia/cuda:13.0.0-cudnn-devel-ubuntu24.04").tag == "13.0.3-cudnn-devel-ubuntu24.04"
    assert C.newest_patch_tag(es, "nvidia/cuda:12.4.1-runtime-ubuntu22.04").tag == "12.4.1-runtime-ubuntu22.04"
    assert C.newest_patch_tag(es, "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime") is None


def _doc(entries):
    return {"schema": 1, "name": "container_images", "version": 1, "updated": "2026-11-22", "entries": entries}


def _entry(**kw):
    e = {
        "repository": "nvidia/cuda",
        "tag": "12.4.1-base-ubuntu22.04",
        "vendor": "nvidia",
        "runtime_kind": "cuda",
        "runtime_version": "12.4.1",
        "flavor": "base",
        "os": "ubuntu22.04",
        "status": "unknown",
        "source": "https://example.invalid/",
        "read": "2026-11-22",
    }
    e.update(kw)
    return e


def test_checks_reject_bad_entries():
    parse_matrix(C.SPEC, _doc([_entry()]), "t.yaml")
    bad = [
        [_entry(), _entry()],
        [_entry(vendor="nvidia-ish")],
        [_entry(status="supported")],  # no status_as_of
        [_entry(tag="12.4.0-base-ubuntu22.04")],  # tag does not match runtime_version
        [_entry(os="ubuntu24.04")],
        [_entry(frameworks={"torch": "not a version"})],
        [_entry(flavor="cudnn9-runtime")],
        [_entry(runtime_kind=None)],
    ]
    for entries in bad:
        with pytest.raises(MatrixError):
            parse_matrix(C.SPEC, _doc(entries), "t.yaml")
