"""Choosing a framework build that will run on a target, from the matrices (pure).

Used by rules (the fix for a wrong or unusable wheel) and by ``accelctl plan``.
A torch build runs on an NVIDIA target when the driver supports its CUDA
runtime (fully, or under minor-version compatibility) and the wheel carries
code for the GPU: SASS for the GPU's architecture or PTX the driver can JIT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, List, Optional, Sequence, Tuple

from packaging.version import InvalidVersion, Version

from accelctl.findings import FixStep
from accelctl.matrices import MatrixError, MatrixSet
from accelctl.matrices.base import cc_key, driver_key


@dataclass(frozen=True)
class NvidiaTarget:
    driver: Optional[str]  # "550.54.15"
    cuda_max: Optional[str]  # highest CUDA the driver supports fully, "12.4"
    ccs: Tuple[str, ...]  # compute capabilities of the GPUs, ("9.0",)


@dataclass(frozen=True)
class TorchChoice:
    torch: str
    variant: str
    index_url: str
    runtime_version: Optional[str]
    reason: str
    full_support: bool = True  # False: runs under minor-version compatibility only


def _v(text: Optional[str]) -> Optional[Version]:
    try:
        return Version(text) if text else None
    except InvalidVersion:
        return None


def _mm(text: Optional[str]) -> Optional[Tuple[int, int]]:
    v = _v(text)
    return (v.major, v.minor) if v else None


def cuda_max_for_driver(matrices: MatrixSet, driver: Optional[str]) -> Optional[str]:
    """Highest CUDA toolkit whose full-feature driver minimum ``driver`` meets (None if unknown)."""
    if not driver:
        return None
    try:
        entries = matrices.entries("cuda_toolkit")
    except MatrixError:
        return None
    best: Optional[Version] = None
    for e in entries:
        floor = getattr(e, "min_driver_linux", None)
        if not floor:
            continue
        try:
            if driver_key(driver) >= driver_key(floor):
                v = Version(e.cuda)
                best = v if best is None or v > best else best
        except (ValueError, InvalidVersion):
            continue
    return f"{best.major}.{best.minor}" if best else None


def minor_compat_floor(matrices: MatrixSet, major: int) -> Optional[str]:
    try:
        for e in matrices.entries("cuda_minor_compat"):
            if str(getattr(e, "cuda_major", "")) == str(major):
                return getattr(e, "min_driver_linux", None)
    except MatrixError:
        return None
    return None


def arch_ok(entry, cc: str) -> bool:
    """SASS for the GPU's architecture, or PTX of an older one the driver can JIT."""
    archs = [a for a in (getattr(entry, "arch_list", None) or [])]
    ptx = [a for a in (getattr(entry, "ptx", None) or [])]
    if not archs and not ptx:
        return True  # unknown arch list: do not rule the build out
    want = cc_key(cc)
    for a in archs:
        try:
            k = cc_key(a)
        except ValueError:
            continue
        # SASS runs on the same major with an equal or higher minor (binary compatibility within a major)
        if k[0] == want[0] and k[1] <= want[1] and not a.endswith(("a", "f")):
            return True
        if k == want:
            return True
    for a in ptx:
        try:
            if cc_key(a) <= want:
                return True
        except ValueError:
            continue
    return False


def torch_entries(matrices: MatrixSet) -> List:
    try:
        return list(matrices.entries("pytorch"))
    except MatrixError:
        return []


def choose_torch_for_nvidia(matrices: MatrixSet, target: NvidiaTarget, releases: Sequence[str] = ()) -> List[TorchChoice]:
    """Builds that run on the target, best first; ``releases`` limits to these torch versions."""
    out: List[TorchChoice] = []
    floor_cache = {}
    for e in torch_entries(matrices):
        if getattr(e, "runtime_kind", None) != "cuda":
            continue
        if releases and str(e.torch) not in releases:
            continue
        runtime = _mm(getattr(e, "runtime_version", None))
        if runtime is None:
            continue
        if not all(arch_ok(e, cc) for cc in target.ccs):
            continue
        full = target.cuda_max is not None and runtime <= (_mm(target.cuda_max) or (0, 0))
        if not full:
            # minor-version compatibility: same major, driver at or above the major's floor
            floor = floor_cache.setdefault(runtime[0], minor_compat_floor(matrices, runtime[0]))
            try:
                ok = bool(target.driver and floor and driver_key(target.driver) >= driver_key(floor)
                          and target.cuda_max and (_mm(target.cuda_max) or (0, 0))[0] == runtime[0])
            except ValueError:
                ok = False
            if not ok:
                continue
        out.append(TorchChoice(str(e.torch), str(e.variant), str(getattr(e, "index_url", "") or f"https://download.pytorch.org/whl/{e.variant}"),
                               getattr(e, "runtime_version", None),
                               f"CUDA {runtime[0]}.{runtime[1]} build" + ("" if full else " (minor-version compatibility)"), full))
    out.sort(key=lambda c: (c.full_support, _v(c.torch) or Version("0"), _mm(c.runtime_version) or (0, 0)), reverse=True)
    return out


def choose_torch_for_vendor(matrices: MatrixSet, runtime_kind: str, releases: Sequence[str] = (), gfx: Sequence[str] = ()) -> List[TorchChoice]:
    out = []
    for e in torch_entries(matrices):
        if getattr(e, "runtime_kind", None) != runtime_kind or (releases and str(e.torch) not in releases):
            continue
        archs = list(getattr(e, "arch_list", None) or [])
        if gfx and archs and not all(g in archs for g in gfx):
            continue
        out.append(TorchChoice(str(e.torch), str(e.variant), str(getattr(e, "index_url", "") or f"https://download.pytorch.org/whl/{e.variant}"),
                               getattr(e, "runtime_version", None), f"{runtime_kind} build"))
    out.sort(key=lambda c: (_v(c.torch) or Version("0"), _v(c.runtime_version) or Version("0")), reverse=True)
    return out


def nvidia_target(ctx) -> NvidiaTarget:
    inv = ctx.inventory
    drv = inv.nvidia.driver
    driver = drv.version or drv.kernel_module_version if drv else None
    cuda_max = (drv.cuda_driver_version if drv else None) or cuda_max_for_driver(ctx.matrices, driver)
    return NvidiaTarget(driver, cuda_max, tuple(sorted({g.compute_capability for g in inv.nvidia.gpus if g.compute_capability})))


def variant_fix_steps(ctx, env, fw, vendor: str) -> Iterator[FixStep]:
    """Fix steps that replace ``fw`` (torch) with a build for ``vendor``'s accelerator."""
    from accelctl.rules.facts import pip, public

    if fw.name.lower() != "torch":
        yield FixStep(f"Install the {vendor} build of {fw.name}", why="the installed build cannot use this accelerator",
                      risks=["changes-environment", "downloads"])
        return
    release = public(fw.version)
    if vendor == "nvidia":
        target = nvidia_target(ctx)
        choices = choose_torch_for_nvidia(ctx.matrices, target, [release]) or choose_torch_for_nvidia(ctx.matrices, target)
    elif vendor == "amd":
        gfx = sorted({g.gfx_target for g in ctx.inventory.amd.gpus if g.gfx_target})
        choices = choose_torch_for_vendor(ctx.matrices, "rocm", [release], gfx) or choose_torch_for_vendor(ctx.matrices, "rocm", (), gfx)
    else:
        choices = choose_torch_for_vendor(ctx.matrices, "xpu", [release]) or choose_torch_for_vendor(ctx.matrices, "xpu")
    if not choices:
        yield FixStep(f"Install a {vendor} build of torch from https://download.pytorch.org/whl/",
                      why="no build in the matrices was found to run on this node; see `accelctl plan`",
                      risks=["changes-environment", "downloads"])
        return
    best = choices[0]
    yield FixStep(
        f"Install torch {best.torch} ({best.variant}) from the PyTorch index",
        commands=[pip(env, "install", "--force-reinstall", f"torch=={best.torch}", "--index-url", best.index_url)],
        why=f"{best.reason}; it runs on this node's accelerator" + ("" if best.torch == release else f" (no {release} build does)"),
        risks=["changes-environment", "downloads"],
        verify=f"accelctl doctor --python {env.interpreter}",
    )
