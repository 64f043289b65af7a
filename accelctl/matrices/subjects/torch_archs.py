"""Compiled GPU architectures of each torch wheel build, read from PyTorch's wheel build scripts.

One entry per (torch release, variant, Linux platform): the CUDA targets the build
script compiles as SASS (``arch_list``) and also ships as PTX (``ptx``), or the ROCm
gfx targets (``gfx_list``). The file is written by the maintainers' refresh tool
(``tools/refresh``), never by hand. ``None`` means not known (the note says why).
The pytorch matrix takes these lists for its builds where it records none itself.
"""

from __future__ import annotations

from dataclasses import field

from accelctl.matrices.base import CC, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance, cc_key
from accelctl.record import record

PLATFORMS = ("x86_64", "aarch64")


@record(frozen=True)
class TorchArchs:
    """What one torch wheel build was compiled for, on one Linux platform."""

    torch: str = field(metadata={"kind": VERSION})  # "2.5.1"
    variant: str  # "cu124", "rocm6.0"
    platform: str = "x86_64"  # one of PLATFORMS
    arch_list: list[str] | None = field(default=None, metadata={"kind": CC})  # SASS targets
    ptx: list[str] | None = field(default=None, metadata={"kind": CC})  # also shipped as PTX
    gfx_list: list[str] | None = None  # ROCm gfx targets
    provenance: Provenance = UNSOURCED


def _check(entries: list[TorchArchs], errors: ErrorSink) -> None:
    for i, e in enumerate(entries):
        if e.platform not in PLATFORMS:
            errors.add(i, "platform", f"must be one of {', '.join(PLATFORMS)}, got {e.platform!r}")
        cuda = e.variant.startswith("cu")
        if not cuda and not e.variant.startswith("rocm"):
            errors.add(i, "variant", f"only CUDA (cuXYZ) and ROCm (rocmX.Y) builds have arch lists, got {e.variant!r}")
        if cuda and e.gfx_list is not None:
            errors.add(i, "gfx_list", "a CUDA build has no gfx list")
        if not cuda and (e.arch_list is not None or e.ptx is not None):
            errors.add(i, "arch_list", "a ROCm build has no CUDA arch list")
        if e.ptx and e.arch_list is not None and not set(e.ptx) <= set(e.arch_list):
            errors.add(i, "ptx", "every PTX target must also be in arch_list")
        if e.arch_list and e.arch_list != sorted(e.arch_list, key=cc_key):
            errors.add(i, "arch_list", "list the targets in ascending order")
        if e.gfx_list is not None and not all(g.startswith("gfx") for g in e.gfx_list):
            errors.add(i, "gfx_list", "every target must be a gfx name")


SPEC: MatrixSpec[TorchArchs] = MatrixSpec(
    name="torch_archs",
    entry_type=TorchArchs,
    check=_check,
    key=lambda e: f"{e.torch}+{e.variant}/{e.platform}",
    description="Compiled GPU architectures of each torch wheel build, from PyTorch's build scripts.",
)


def archs_of(entries: list[TorchArchs], torch: str, variant: str, platform: str = "x86_64") -> TorchArchs | None:
    """The entry of one build and platform, or None when none is recorded."""
    for e in entries:
        if e.torch == torch and e.variant == variant and e.platform == platform:
            return e
    return None
