"""Are we in a container, which runtime, and what the image's environment declares."""

from __future__ import annotations

import re

from accelctl.host.base import HostError
from accelctl.inventory.system import ContainerInfo
from accelctl.probes.base import ProbeContext

# Image environment variables that describe what the image was built for.
IMAGE_ENV_PREFIXES = ("NVIDIA_", "NV_", "CUDA_", "CUDNN_", "NCCL_VERSION", "ROCM_", "HIP_", "ONEAPI_", "PYTORCH_", "TORCH_CUDA_ARCH_LIST", "NEURON_", "HABANA", "TPU_")
IMAGE_ENV_NAMES = ("CUDA_VERSION", "NCCL_VERSION", "CUDNN_VERSION", "TENSORRT_VERSION", "ROCM_VERSION", "PYTORCH_VERSION", "NVIDIA_REQUIRE_CUDA", "NVIDIA_DISABLE_REQUIRE", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES")

_CGROUP_HINTS = (
    (re.compile(r"kubepods"), "kubernetes"),
    (re.compile(r"docker[-/]"), "docker"),
    (re.compile(r"libpod|podman"), "podman"),
    (re.compile(r"containerd|cri-containerd"), "containerd"),
    (re.compile(r"/lxc/|lxc\.payload"), "lxc"),
)


def image_env(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in sorted(env.items()) if k in IMAGE_ENV_NAMES or k.startswith(IMAGE_ENV_PREFIXES)}


def runtime_from_cgroup(text: str) -> str | None:
    for pattern, runtime in _CGROUP_HINTS:
        if pattern.search(text):
            return runtime
    return None


def _markers(ctx: ProbeContext) -> tuple[list[str], str | None]:
    host = ctx.host
    markers: list[str] = []
    runtime: str | None = None
    if host.exists("/.dockerenv"):
        markers.append("/.dockerenv")
        runtime = "docker"
    if host.exists("/run/.containerenv"):
        markers.append("/run/.containerenv")
        runtime = "podman"
    if host.can_run_commands:  # a running machine (live, or a capture of one), not an image
        try:
            found = runtime_from_cgroup(host.read_text("/proc/1/cgroup", 64 << 10))
            if found:
                markers.append(f"/proc/1/cgroup names {found}")
                runtime = runtime or found
        except HostError:
            pass
        env = host.env
        if env.get("KUBERNETES_SERVICE_HOST"):
            markers.append("KUBERNETES_SERVICE_HOST is set")
            runtime = "kubernetes" if runtime in (None, "containerd", "docker") else runtime
        if env.get("container"):
            markers.append(f"container={env['container']}")
            runtime = runtime or env["container"]
    return markers, runtime


def probe(ctx: ProbeContext) -> ContainerInfo:
    markers, runtime = _markers(ctx)
    in_container: bool | None = bool(markers)
    if not ctx.host.can_run_commands:
        # An inspected rootfs *is* an image; whether it runs in a container is not the question.
        in_container = None
    return ContainerInfo(
        in_container=in_container,
        runtime=runtime,
        markers=markers,
        image_env=image_env(dict(ctx.host.env)),
        sources={"in_container": ", ".join(markers) or "no container markers"},
    )
