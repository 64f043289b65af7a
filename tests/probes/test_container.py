from __future__ import annotations

from accelctl.host.filesystem import FileSystemHost
from accelctl.probes.base import ProbeContext, ProbeOptions
from accelctl.probes.container import image_env, runtime_from_cgroup
from accelctl.probes.environment import relevant_env


def test_cgroup_hints():
    assert runtime_from_cgroup("0::/kubepods/besteffort/pod1234/abcd") == "kubernetes"
    assert runtime_from_cgroup("12:memory:/docker/3f1e") == "docker"
    assert runtime_from_cgroup("0::/init.scope") is None


def test_image_env_keeps_what_describes_the_image():
    env = {"NVIDIA_REQUIRE_CUDA": "cuda>=13.0", "CUDA_VERSION": "13.0.2", "NCCL_VERSION": "2.28.3-1", "HOME": "/root",
           "NV_CUDNN_PACKAGE": "libcudnn9-cuda-13=9.14.0.64-1"}
    assert image_env(env) == {"CUDA_VERSION": "13.0.2", "NCCL_VERSION": "2.28.3-1",
                              "NVIDIA_REQUIRE_CUDA": "cuda>=13.0", "NV_CUDNN_PACKAGE": "libcudnn9-cuda-13=9.14.0.64-1"}


def test_relevant_env_redacts_secrets_and_url_credentials():
    env = {"HF_TOKEN": "x", "PIP_INDEX_URL": "https://user:pw@example.invalid/simple", "CUDA_HOME": "/usr/local/cuda",
           "NCCL_IB_AUTH_KEY": "s3cret", "EDITOR": "vi"}
    assert relevant_env(env) == {"CUDA_HOME": "/usr/local/cuda", "NCCL_IB_AUTH_KEY": "<redacted>",
                                 "PIP_INDEX_URL": "https://<redacted>@example.invalid/simple"}


def test_dockerenv_marks_a_container_on_the_live_root_only(tmp_path):
    (tmp_path / ".dockerenv").write_text("")
    from accelctl.probes.container import probe

    info = probe(ProbeContext(FileSystemHost(str(tmp_path)), ProbeOptions(), "container"))
    assert info.in_container is None and info.markers == ["/.dockerenv"]
