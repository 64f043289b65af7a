"""What each ROCm release supports on Linux: GPU targets, distributions, drivers, PyTorch.

One entry per ROCm release (patch level, "6.3.3"), as AMD's compatibility
matrix and "GPU and OS support" pages state it for that release: the LLVM
``gfx`` targets officially supported, the Linux distribution versions, the
kernel-mode driver (KMD / AMD GPU Driver "amdgpu") versions it is supported
with, and the PyTorch versions AMD lists. Used by the AMD rules (GPU target
vs installed ROCm, OS vs ROCm, driver vs user space) through ``supports_gfx``,
``releases_supporting``, ``supports_os`` and ``kmd_supported``.
"""

from __future__ import annotations

import re
from dataclasses import field

from packaging.version import InvalidVersion, Version

from accelctl.matrices.base import UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record

_GFX_RE = re.compile(r"^gfx[0-9]{2,3}[0-9a-f]$")


@record(frozen=True)
class RocmRelease:
    """One ROCm release and what AMD supports it on (Linux)."""

    rocm: str = field(metadata={"kind": VERSION})  # "6.3.3"
    # LLVM targets with full (official) Linux support in this release; null: not found in the sources read.
    gfx_targets: list[str] | None = None
    # Targets listed with a lesser level (HIP runtime only, community, deprecated): named, not fully supported.
    gfx_targets_limited: list[str] = field(default_factory=list)
    # Distribution versions supported for every listed GPU: "Ubuntu 24.04.2", "RHEL 9.5", "SLES 15 SP6".
    os: list[str] | None = None
    # Distributions supported only on some GPUs or uses (Oracle Linux on MI300X only, ...): see note.
    os_limited: list[str] = field(default_factory=list)
    # Kernel-mode driver release series AMD states this user space works with: "6.4.x", "30.10.x".
    compatible_kmd: list[str] | None = None
    # PyTorch versions AMD's compatibility matrix lists for this release ("2.4", "2.9.1").
    pytorch: list[str] | None = None
    provenance: Provenance = UNSOURCED


def _check(entries: list[RocmRelease], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        if e.rocm in seen:
            errors.add(i, "rocm", f"duplicate release {e.rocm}")
        seen.add(e.rocm)
        for name in ("gfx_targets", "gfx_targets_limited"):
            for g in getattr(e, name) or []:
                if not _GFX_RE.match(g):
                    errors.add(i, name, f"not an LLVM gfx target: {g!r}")
        overlap = set(e.gfx_targets or []) & set(e.gfx_targets_limited)
        if overlap:
            errors.add(i, "gfx_targets_limited", f"listed as both full and limited: {sorted(overlap)}")
        for v in e.pytorch or []:
            try:
                Version(v)
            except InvalidVersion:
                errors.add(i, "pytorch", f"not a version: {v!r}")
        for k in e.compatible_kmd or []:
            if not re.match(r"^\d+\.\d+\.(x|\d+)$", k):
                errors.add(i, "compatible_kmd", f"expected 'MAJOR.MINOR.x' or a full version, got {k!r}")


SPEC: MatrixSpec[RocmRelease] = MatrixSpec(name="rocm", entry_type=RocmRelease, check=_check, key=lambda e: e.rocm)


def _v(text: str) -> Version:
    return Version(text.strip())


def find(entries: list[RocmRelease], rocm: str) -> RocmRelease | None:
    """The entry for a ROCm version.

    An exact release ("6.3.3") wins; "6.3" (or a build the matrix does not
    list, "6.3.4") falls back to the newest listed release of that minor
    series that is not newer than it. None when the series is unknown.
    """
    try:
        want = _v(rocm)
    except InvalidVersion:
        return None
    exact = [e for e in entries if _v(e.rocm) == want]
    if exact:
        return exact[0]
    same_minor = [e for e in entries if _v(e.rocm).release[:2] == want.release[:2]]
    if len(want.release) >= 3:
        same_minor = [e for e in same_minor if _v(e.rocm) <= want] or same_minor
    if not same_minor:
        return None
    return max(same_minor, key=lambda e: _v(e.rocm))


def supports_gfx(entries: list[RocmRelease], rocm: str, gfx: str) -> bool | None:
    """True/False: does this ROCm release officially support the target on Linux.

    None when the release, or its target list, is not in the matrix. A target
    listed only with limited support (HIP runtime only, community) is False.
    Feature suffixes are ignored ("gfx90a:sramecc+:xnack-" -> "gfx90a").
    """
    e = find(entries, rocm)
    if e is None or e.gfx_targets is None:
        return None
    return base_gfx(gfx) in e.gfx_targets


def releases_supporting(entries: list[RocmRelease], gfx: str) -> list[str]:
    """Every listed ROCm release that officially supports ``gfx`` on Linux, oldest first."""
    target = base_gfx(gfx)
    hits = [e.rocm for e in entries if e.gfx_targets is not None and target in e.gfx_targets]
    return sorted(hits, key=_v)


def supports_os(entries: list[RocmRelease], rocm: str, os_name: str) -> bool | None:
    """True when ``os_name`` ("Ubuntu 22.04.5", "RHEL 9.4", "SLES 15 SP6") is listed for the release.

    Also True for a distribution listed with restrictions (see the entry's note
    and ``os_limited``). None when the release or its OS list is unknown.
    """
    e = find(entries, rocm)
    if e is None or e.os is None:
        return None
    want = _norm_os(os_name)
    return any(_norm_os(o) == want for o in list(e.os) + list(e.os_limited))


def kmd_supported(entries: list[RocmRelease], rocm: str, kmd: str) -> bool | None:
    """Is a kernel driver version (amdgpu-dkms "6.4.1" or AMD GPU Driver "30.10.1") listed for the release.

    Matching is by the "MAJOR.MINOR.x" series AMD lists. None when unknown.
    """
    e = find(entries, rocm)
    if e is None or e.compatible_kmd is None:
        return None
    parts = kmd.strip().split(".")
    if len(parts) < 2:
        return None
    series = f"{parts[0]}.{parts[1]}.x"
    return series in e.compatible_kmd or kmd.strip() in e.compatible_kmd


def base_gfx(gfx: str) -> str:
    """Strip target features and case: "GFX90A:sramecc+:xnack-" -> "gfx90a"."""
    return gfx.strip().split(":")[0].lower()


def _norm_os(name: str) -> str:
    return " ".join(name.replace("Red Hat Enterprise Linux", "RHEL").split()).lower()
