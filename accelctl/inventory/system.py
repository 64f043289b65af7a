"""The operating system and container context of the inspected machine."""

from __future__ import annotations

from accelctl.record import record
from dataclasses import field
from typing import Dict, List, Optional


@record
class OsInfo:
    """Distribution, kernel, C library and CPU architecture."""

    distro_id: Optional[str] = None  # os-release ID: ubuntu, rhel, debian ...
    distro_version: Optional[str] = None  # os-release VERSION_ID
    pretty_name: Optional[str] = None
    kernel: Optional[str] = None  # uname -r equivalent
    arch: Optional[str] = None  # x86_64, aarch64
    libc: Optional[str] = None  # glibc | musl
    libc_version: Optional[str] = None
    sources: Dict[str, str] = field(default_factory=dict)  # fact -> where it was read


@record
class ContainerInfo:
    """Whether we run inside a container, and the image facts its environment carries."""

    in_container: Optional[bool] = None
    runtime: Optional[str] = None  # docker, podman, kubernetes, containerd, lxc ...
    markers: List[str] = field(default_factory=list)  # evidence: /.dockerenv, cgroup paths ...
    image_env: Dict[str, str] = field(default_factory=dict)  # NVIDIA_REQUIRE_CUDA, CUDA_VERSION ...
    sources: Dict[str, str] = field(default_factory=dict)
