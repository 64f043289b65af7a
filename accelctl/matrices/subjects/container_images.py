"""Container base images: what each image line ships and whether it is still maintained.

One entry per image repository and tag (``nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04``,
``nvcr.io/nvidia/pytorch:24.10-py3``, ``rocm/pytorch:rocm6.4.1_ubuntu22.04_py3.10_pytorch_release_2.6.0``
...): the vendor, the accelerator runtime and its version, the flavor (for ``nvidia/cuda``: base,
runtime, devel, cudnn-runtime, cudnn-devel), the OS, the Python and frameworks the image ships,
the cuDNN/NCCL it carries, the driver floor (NGC release notes) or the raw ``NVIDIA_REQUIRE_CUDA``
value the image sets, and whether the tag is still supported. Used to recommend base images for a
node and to write Dockerfiles, and to flag a ``FROM`` line that names an end-of-life tag.

``status`` is as of ``status_as_of`` (the date of the evidence), not as of today: NVIDIA deletes
end-of-life ``nvidia/cuda`` tags about six months after marking them, and keeps only the newest
patch release of each CUDA minor version supported.
"""

from __future__ import annotations

import re
from dataclasses import field

from packaging.version import InvalidVersion, Version

from accelctl.matrices.base import DATE, DRIVER, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record

VENDORS = ("nvidia", "amd", "intel")
RUNTIME_KINDS = ("cuda", "rocm", "oneapi")
STATUSES = ("supported", "end-of-life", "unknown")
# Flavors of nvidia/cuda (tensorrt-* exist for 13.0 on ubuntu24.04); other repositories use
# runtime/devel (pytorch/pytorch), complete (rocm/dev-*), devel (intel/oneapi-basekit), xpu (IPEX).
FLAVORS = (
    "base",
    "runtime",
    "devel",
    "cudnn-runtime",
    "cudnn-devel",
    "tensorrt-runtime",
    "tensorrt-devel",
    "complete",
    "xpu",
)

# Registries that serve the same nvidia/cuda images (doc/supported-tags.md: "Repos: nvcr.io/nvidia/cuda,
# docker.io/nvidia/cuda"). Docker Hub's implicit prefixes are dropped as well.
_ALIASES = {"nvcr.io/nvidia/cuda": "nvidia/cuda"}
_HUB_PREFIXES = ("docker.io/", "index.docker.io/", "registry-1.docker.io/")


@record(frozen=True)
class ContainerImage:
    """One image line: a repository and a concrete tag."""

    repository: str  # e.g. "nvidia/cuda", "nvcr.io/nvidia/pytorch", "rocm/pytorch"
    tag: str  # concrete tag, e.g. "12.4.1-cudnn-runtime-ubuntu22.04"
    vendor: str  # nvidia | amd | intel
    runtime_kind: str | None = None  # cuda | rocm | oneapi
    # runtime version as the vendor writes it: "12.4.1", "6.4.1", "2025.3.0"
    runtime_version: str | None = field(default=None, metadata={"kind": VERSION})
    flavor: str | None = None  # one of FLAVORS; None where the repository has no flavors
    os: str | None = None  # "ubuntu22.04", "ubuntu24.04", "ubi9", "rockylinux9" ...
    python: str | None = field(default=None, metadata={"kind": VERSION})  # Python the image ships, if any
    # distribution name -> version, e.g. {"torch": "2.6.0a0+df5bbc09d1"}
    frameworks: dict[str, str] = field(default_factory=dict)
    # cuDNN / NCCL the image carries; the Debian package revision ("-1") is dropped. A tag that only
    # names a major ("cudnn9") is recorded as that major ("9").
    cudnn: str | None = field(default=None, metadata={"kind": VERSION})
    nccl: str | None = field(default=None, metadata={"kind": VERSION})
    # driver floor a release note states (NGC PyTorch), e.g. "560"
    min_driver: str | None = field(default=None, metadata={"kind": DRIVER})
    nvidia_require_cuda: str | None = None  # raw NVIDIA_REQUIRE_CUDA (amd64 build) as set by the image
    nvidia_require_cuda_arm64: str | None = None  # raw value of the arm64 (sbsa) build where read
    status: str = "unknown"  # supported | end-of-life | unknown (as of status_as_of)
    status_as_of: str | None = field(default=None, metadata={"kind": DATE})
    released: str | None = field(default=None, metadata={"kind": DATE})
    provenance: Provenance = UNSOURCED

    @property
    def reference(self) -> str:
        """``repository:tag``, the string a Dockerfile's FROM line names."""
        return f"{self.repository}:{self.tag}"


def _check(entries: list[ContainerImage], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        ref = e.reference
        if ref in seen:
            errors.add(i, "tag", f"duplicate image {ref}")
        seen.add(ref)
        if e.vendor not in VENDORS:
            errors.add(i, "vendor", f"must be one of {', '.join(VENDORS)}, got {e.vendor!r}")
        if e.runtime_kind is not None and e.runtime_kind not in RUNTIME_KINDS:
            errors.add(i, "runtime_kind", f"must be one of {', '.join(RUNTIME_KINDS)}, got {e.runtime_kind!r}")
        if e.runtime_version is not None and e.runtime_kind is None:
            errors.add(i, "runtime_kind", "a runtime_version needs a runtime_kind")
        if e.status not in STATUSES:
            errors.add(i, "status", f"must be one of {', '.join(STATUSES)}, got {e.status!r}")
        if e.status != "unknown" and not e.status_as_of:
            errors.add(i, "status_as_of", "a known status needs the date of its evidence")
        if e.flavor is not None and e.flavor not in FLAVORS:
            errors.add(i, "flavor", f"must be one of {', '.join(FLAVORS)}, got {e.flavor!r}")
        for name, version in e.frameworks.items():
            try:
                Version(version)
            except InvalidVersion:
                errors.add(i, f"frameworks.{name}", f"not a version: {version!r}")
        if e.repository == "nvidia/cuda":
            if e.runtime_kind != "cuda" or not e.runtime_version or not e.tag.startswith(e.runtime_version + "-"):
                errors.add(i, "tag", "an nvidia/cuda tag starts with its CUDA version (runtime_version)")
            if e.flavor is None:
                errors.add(i, "flavor", "nvidia/cuda entries name their flavor")
            if e.os and not e.tag.endswith("-" + e.os):
                errors.add(i, "os", f"tag {e.tag!r} does not end with os {e.os!r}")


SPEC: MatrixSpec[ContainerImage] = MatrixSpec(name="container_images", entry_type=ContainerImage, check=_check, key=lambda e: e.reference)


def _cut(version: str, parts: int) -> Version:
    """The version truncated to its first ``parts`` release components ("12.4.1", 2 -> 12.4)."""
    release = Version(version).release
    return Version(".".join(str(p) for p in release[:parts]))


def images_for(
    entries: list[ContainerImage],
    vendor: str,
    runtime_kind: str,
    max_runtime_version: str | None = None,
    flavor: str | None = None,
    os: str | None = None,
    status: str | None = None,
) -> list[ContainerImage]:
    """Images of ``vendor`` built on ``runtime_kind``, newest runtime first.

    ``max_runtime_version`` keeps images whose runtime is not newer than it, compared at the
    precision it is given: "12.4" keeps 12.4.0 and 12.4.1 (a driver that supports CUDA 12.4 runs
    any 12.4.x) but drops 12.5.0. Images whose runtime version is unknown are dropped when a
    maximum is given. ``flavor``, ``os`` and ``status`` filter exactly. Ties keep file order.
    """
    limit: tuple[int, Version] | None = None
    if max_runtime_version is not None:
        parts = len(Version(max_runtime_version).release)
        limit = (parts, Version(max_runtime_version))
    found: list[ContainerImage] = []
    for e in entries:
        if e.vendor != vendor or e.runtime_kind != runtime_kind:
            continue
        if flavor is not None and e.flavor != flavor:
            continue
        if os is not None and e.os != os:
            continue
        if status is not None and e.status != status:
            continue
        if limit is not None and (e.runtime_version is None or _cut(e.runtime_version, limit[0]) > limit[1]):
            continue
        found.append(e)
    return sorted(found, key=lambda e: Version(e.runtime_version) if e.runtime_version else Version("0"), reverse=True)


def normalize_reference(reference: str) -> tuple[str, str]:
    """Split an image reference into (repository, tag) the way this matrix names them.

    Drops a digest ("@sha256:..."), Docker Hub's implicit prefixes and the ``library/`` part, and
    maps ``nvcr.io/nvidia/cuda`` to ``nvidia/cuda`` (the same images). A missing tag is "latest".
    """
    ref = reference.strip().split("@", 1)[0]
    for prefix in _HUB_PREFIXES:
        if ref.startswith(prefix):
            ref = ref[len(prefix):]
            break
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = ref.rsplit(":", 1)
    else:
        repository, tag = ref, "latest"
    repository = repository.removeprefix("library/")
    return _ALIASES.get(repository, repository), tag


def find_image(entries: list[ContainerImage], reference: str) -> ContainerImage | None:
    """The entry for an image reference such as ``docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04``."""
    repository, tag = normalize_reference(reference)
    for e in entries:
        if e.repository == repository and e.tag == tag:
            return e
    return None


def is_end_of_life(entries: list[ContainerImage], reference: str) -> bool | None:
    """True/False when the matrix knows the tag's status, None when it does not."""
    e = find_image(entries, reference)
    if e is None or e.status == "unknown":
        return None
    return e.status == "end-of-life"


_CUDA_TAG = re.compile(r"^(\d+\.\d+\.\d+)-(?:cudnn\d*-)?(base|runtime|devel)-(\S+)$")


def newest_patch_tag(entries: list[ContainerImage], reference: str) -> ContainerImage | None:
    """For an nvidia/cuda tag, the entry of the newest known patch release of the same CUDA minor,
    flavor and OS (NVIDIA supports only the latest patch of each minor); None if none is known."""
    repository, tag = normalize_reference(reference)
    if repository != "nvidia/cuda" or not _CUDA_TAG.match(tag):
        return None
    current = find_image(entries, reference)
    version = Version(_CUDA_TAG.match(tag).group(1))  # type: ignore[union-attr]
    flavor = current.flavor if current else None
    os_name = _CUDA_TAG.match(tag).group(3)  # type: ignore[union-attr]
    if flavor is None:
        kind = _CUDA_TAG.match(tag).group(2)  # type: ignore[union-attr]
        flavor = f"cudnn-{kind}" if "-cudnn" in tag else kind
    same = [
        e
        for e in entries
        if e.repository == "nvidia/cuda"
        and e.flavor == flavor
        and e.os == os_name
        and e.runtime_version
        and Version(e.runtime_version).release[:2] == version.release[:2]
    ]
    if not same:
        return None
    return max(same, key=lambda e: Version(e.runtime_version or "0"))
