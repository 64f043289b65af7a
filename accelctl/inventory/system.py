"""The operating system and container context of the inspected machine."""

from __future__ import annotations

from dataclasses import field

from accelctl.record import record


@record
class OsInfo:
    """Distribution, kernel, C library and CPU architecture."""

    distro_id: str | None = None  # os-release ID: ubuntu, rhel, debian ...
    distro_like: list[str] = field(default_factory=list)  # os-release ID_LIKE: ["debian"], ["rhel", "fedora"]
    distro_version: str | None = None  # os-release VERSION_ID
    pretty_name: str | None = None
    kernel: str | None = None  # uname -r equivalent
    arch: str | None = None  # x86_64, aarch64
    libc: str | None = None  # glibc | musl
    libc_version: str | None = None
    sources: dict[str, str] = field(default_factory=dict)  # fact -> where it was read
    system: str | None = None  # linux | windows | darwin: the operating system the facts come from


@record
class ContainerInfo:
    """Whether we run inside a container, and the image facts its environment carries."""

    in_container: bool | None = None
    runtime: str | None = None  # docker, podman, kubernetes, containerd, lxc ...
    markers: list[str] = field(default_factory=list)  # evidence: /.dockerenv, cgroup paths ...
    image_env: dict[str, str] = field(default_factory=dict)  # NVIDIA_REQUIRE_CUDA, CUDA_VERSION ...
    sources: dict[str, str] = field(default_factory=dict)
