"""PyTorch wheel builds: one entry per (torch release, variant) on Linux.

A variant is the local version tag of the wheel (``cu124``, ``rocm6.2.4``,
``xpu``, ``cpu``) and names its index on download.pytorch.org. The entry says
which accelerator runtime the build targets, whether plain ``pip install torch``
from PyPI lands on it, which GPU architectures it was compiled for, and the exact
versions of the NVIDIA / triton wheels it pins. ``None`` always means "not read"
(the note of the entry says why), never "none".
"""

from __future__ import annotations

import re
from dataclasses import field
from functools import lru_cache

from packaging.version import InvalidVersion, Version

from accelctl.matrices.base import CC, SPECIFIER, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance, cc_key
from accelctl.record import record

RUNTIME_KINDS = ("cuda", "rocm", "xpu", "cpu")
PLATFORMS = ("x86_64", "aarch64")
_GFX = re.compile(r"^gfx[0-9a-f]+$")
INDEX_BASE = "https://download.pytorch.org/whl/"

# glibc floor of a manylinux platform tag (PEP 513 / 599 / 600).
_LEGACY_MANYLINUX_GLIBC = {"manylinux1": "2.5", "manylinux2010": "2.12", "manylinux2014": "2.17"}


@record(frozen=True)
class TorchBuild:
    """One torch release built for one accelerator runtime (a wheel variant)."""

    torch: str = field(metadata={"kind": VERSION})  # public version, no local tag: "2.5.1"
    variant: str  # local tag / index name: "cu124", "rocm6.2.4", "xpu", "cpu"
    runtime_kind: str  # one of RUNTIME_KINDS
    runtime_version: str | None = field(default=None, metadata={"kind": VERSION})  # "12.4", "6.2.4"; None for cpu/xpu
    index_url: str = ""
    pypi_default_linux_x86_64: bool = False  # plain `pip install torch` on Linux x86_64 gets this build
    pypi_default_linux_aarch64: bool = False  # same on Linux aarch64
    python: str | None = field(default=None, metadata={"kind": SPECIFIER})  # CPython range of the wheels
    manylinux: str | None = None  # platform tag of the PyPI x86_64 wheel: "manylinux1", "manylinux_2_28"
    arch_list: list[str] | None = field(default=None, metadata={"kind": CC})  # SASS targets (TORCH_CUDA_ARCH_LIST)
    ptx: list[str] | None = field(default=None, metadata={"kind": CC})  # targets also shipped as PTX (+PTX)
    # The PyPI Linux aarch64 wheel of the same build, where its own fatbins were read (it differs from x86_64
    # from 2.11 on); None: not recorded, so nothing is assumed for aarch64.
    arch_list_aarch64: list[str] | None = field(default=None, metadata={"kind": CC})
    ptx_aarch64: list[str] | None = field(default=None, metadata={"kind": CC})
    gfx_list: list[str] | None = None  # ROCm builds: the PYTORCH_ROCM_ARCH gfx targets ("gfx90a", "gfx942")
    pins: dict[str, str] | None = None  # distribution -> exact version ("9.1.0.70") or specifier ("~=3.8.0")
    provenance: Provenance = UNSOURCED


def _variant_of(kind: str, runtime_version: str | None) -> str | None:
    if kind == "cuda" and runtime_version:
        return "cu" + runtime_version.replace(".", "")
    if kind == "rocm" and runtime_version:
        return "rocm" + runtime_version
    if kind in ("xpu", "cpu"):
        return kind
    return None


def _check(entries: list[TorchBuild], errors: ErrorSink) -> None:
    seen = set()
    defaults: dict[tuple[str, str], int] = {}
    for i, e in enumerate(entries):
        key = (e.torch, e.variant)
        if key in seen:
            errors.add(i, "variant", f"duplicate build {e.torch}+{e.variant}")
        seen.add(key)
        if e.runtime_kind not in RUNTIME_KINDS:
            errors.add(i, "runtime_kind", f"must be one of {', '.join(RUNTIME_KINDS)}, got {e.runtime_kind!r}")
            continue
        expected = _variant_of(e.runtime_kind, e.runtime_version)
        if expected is None:
            errors.add(i, "runtime_version", f"a {e.runtime_kind} build needs a runtime_version")
        elif expected != e.variant:
            errors.add(i, "variant", f"{e.variant!r} does not match runtime {e.runtime_kind} {e.runtime_version} ({expected!r})")
        if e.index_url != INDEX_BASE + e.variant:
            errors.add(i, "index_url", f"expected {INDEX_BASE + e.variant}")
        if e.runtime_kind != "cuda" and (e.arch_list or e.ptx):
            errors.add(i, "arch_list", "only CUDA builds carry a CUDA arch list")
        if e.ptx and e.arch_list is not None and not set(e.ptx) <= set(e.arch_list):
            errors.add(i, "ptx", "every PTX target must also be in arch_list")
        if e.ptx_aarch64 and not set(e.ptx_aarch64) <= set(e.arch_list_aarch64 or []):
            errors.add(i, "ptx_aarch64", "every PTX target must also be in arch_list_aarch64")
        if e.runtime_kind != "cuda" and (e.arch_list_aarch64 or e.ptx_aarch64):
            errors.add(i, "arch_list_aarch64", "only CUDA builds carry a CUDA arch list")
        if e.gfx_list is not None:
            if e.runtime_kind != "rocm":
                errors.add(i, "gfx_list", "only ROCm builds carry a gfx list")
            bad = [g for g in e.gfx_list if not _GFX.match(g)]
            if bad:
                errors.add(i, "gfx_list", f"not gfx targets: {', '.join(bad)}")
        if e.manylinux is not None and manylinux_glibc(e.manylinux) is None:
            errors.add(i, "manylinux", f"not a manylinux tag: {e.manylinux!r}")
        for platform, flag in (("x86_64", e.pypi_default_linux_x86_64), ("aarch64", e.pypi_default_linux_aarch64)):
            if flag:
                if (e.torch, platform) in defaults:
                    errors.add(i, f"pypi_default_linux_{platform}", f"torch {e.torch} already has a PyPI default on {platform}")
                defaults[(e.torch, platform)] = i


def with_archs(builds: list[TorchBuild], others: dict[str, list]) -> list[TorchBuild]:
    """The builds, their unrecorded arch lists taken from the ``torch_archs`` matrix (PyTorch's build scripts).

    A list this matrix records itself (read from the wheel's own fatbins) is kept: a scan of the
    binary beats the script that was meant to produce it. Each platform keeps its own list.
    """
    import dataclasses

    found = {(a.torch, a.variant, a.platform): a for a in others.get("torch_archs", [])}
    if not found:
        return builds
    out = []
    for b in builds:
        x86, arm = found.get((b.torch, b.variant, "x86_64")), found.get((b.torch, b.variant, "aarch64"))
        fill: dict = {}
        if x86 is not None and b.runtime_kind == "cuda" and b.arch_list is None and x86.arch_list is not None:
            fill.update(arch_list=list(x86.arch_list), ptx=None if x86.ptx is None else list(x86.ptx))
        if x86 is not None and b.runtime_kind == "rocm" and b.gfx_list is None and x86.gfx_list is not None:
            fill["gfx_list"] = list(x86.gfx_list)
        if arm is not None and b.runtime_kind == "cuda" and b.arch_list_aarch64 is None and arm.arch_list is not None:
            fill.update(arch_list_aarch64=list(arm.arch_list), ptx_aarch64=None if arm.ptx is None else list(arm.ptx))
        out.append(dataclasses.replace(b, **fill) if fill else b)
    return out


SPEC: MatrixSpec[TorchBuild] = MatrixSpec(
    name="pytorch",
    entry_type=TorchBuild,
    check=_check,
    key=lambda e: f"{e.torch}+{e.variant}",
    description="PyTorch wheel builds per release and variant.",
    joins=("torch_archs",),
    join=with_archs,
)


# ---------------------------------------------------------------- queries


def manylinux_glibc(tag: str) -> str | None:
    """glibc floor of a manylinux tag: "manylinux_2_28" -> "2.28", "manylinux2014" -> "2.17"."""
    m = re.fullmatch(r"manylinux_(\d+)_(\d+)", tag)
    if m:
        return f"{m.group(1)}.{m.group(2)}"
    return _LEGACY_MANYLINUX_GLIBC.get(tag)


def split_local(version: str) -> tuple[str, str | None]:
    """Split an installed torch version into (public, local tag): "2.5.1+cu124" -> ("2.5.1", "cu124")."""
    public, _, local = version.strip().partition("+")
    return public, (local or None)


def _same_release(a: str, b: str) -> bool:
    return a == b or _release(a) == _release(b)


@lru_cache(maxsize=4096)
def _release(text: str) -> object:
    """The parsed version (remembered: every lookup compares against each of the matrix's builds), or the
    text itself when it is not a version, which then equals only itself."""
    try:
        return Version(text)
    except InvalidVersion:
        return text


def variants_for(entries: list[TorchBuild], torch: str) -> list[TorchBuild]:
    """Every recorded build of one torch release (local tag in ``torch`` is ignored)."""
    public, _ = split_local(torch)
    return [e for e in entries if _same_release(e.torch, public)]


def entry(entries: list[TorchBuild], torch: str, variant: str | None = None) -> TorchBuild | None:
    """The build ``torch`` + ``variant``; ``variant`` defaults to the local tag of ``torch`` ("2.5.1+cu124")."""
    public, local = split_local(torch)
    want = variant or local
    if want is None:
        return None
    for e in variants_for(entries, public):
        if e.variant == want:
            return e
    return None


def default_variant(entries: list[TorchBuild], torch: str, platform: str = "x86_64") -> TorchBuild | None:
    """The build plain ``pip install torch==<torch>`` gets from PyPI on Linux ``platform`` (x86_64|aarch64)."""
    if platform not in PLATFORMS:
        raise ValueError(f"platform must be one of {PLATFORMS}, got {platform!r}")
    flag = f"pypi_default_linux_{platform}"
    for e in variants_for(entries, torch):
        if getattr(e, flag):
            return e
    return None


def resolve_installed(entries: list[TorchBuild], version: str, platform: str = "x86_64") -> TorchBuild | None:
    """The build an installed ``torch.__version__`` denotes: its local tag, else the PyPI default."""
    _, local = split_local(version)
    return entry(entries, version) if local else default_variant(entries, version, platform)


def arch_list(entries: list[TorchBuild], torch: str, variant: str | None = None) -> list[str] | None:
    """Compute capabilities compiled as SASS for that build; None when not recorded or not CUDA."""
    e = entry(entries, torch, variant)
    return list(e.arch_list) if e is not None and e.arch_list is not None else None


def archs_for(build: TorchBuild, platform: str = "x86_64") -> tuple[list[str] | None, list[str]]:
    """(SASS targets, PTX targets) of the build's wheel for Linux ``platform``; (None, []) when not recorded.

    The x86_64 and aarch64 wheels of one build are compiled for different lists
    (2.11-2.15 on aarch64: 8.0, 9.0, 10.0, 11.0, 12.0 only), so an aarch64 node
    is never judged by the x86_64 list.
    """
    if platform == "aarch64":
        if build.arch_list_aarch64 is None:
            return None, []
        return list(build.arch_list_aarch64), list(build.ptx_aarch64 or [])
    return (list(build.arch_list) if build.arch_list is not None else None), list(build.ptx or [])


def supports_cc(build: TorchBuild, cc: str, platform: str = "x86_64") -> bool | None:
    """Whether the build's wheel for ``platform`` has kernels a GPU of compute capability ``cc`` can run.

    SASS for X.Y runs on X.Z with Z >= Y (same major); PTX for X.Y can be JIT-compiled
    for any cc >= X.Y. None when the arch list of the build was not recorded.
    """
    archs, ptx = archs_for(build, platform)
    if build.runtime_kind != "cuda" or archs is None:
        return None
    have = cc_key(cc)
    for arch in archs:
        major, minor = cc_key(arch)
        if major == have[0] and minor <= have[1]:
            return True
    return any(cc_key(p) <= have for p in ptx)


def releases_running_on(entries: list[TorchBuild], cc: str, driver_max_cuda: str) -> list[TorchBuild]:
    """CUDA builds known to run on a GPU of ``cc`` under a driver supporting CUDA up to ``driver_max_cuda``.

    Conservative: needs a recorded arch list covering ``cc`` and a CUDA runtime not newer
    than the driver's (CUDA minor-version compatibility is not assumed).
    """
    limit = Version(driver_max_cuda)
    out = []
    for e in entries:
        if e.runtime_kind != "cuda" or e.runtime_version is None:
            continue
        if Version(e.runtime_version) > limit:
            continue
        if supports_cc(e, cc):
            out.append(e)
    return out
