"""Will a framework build run on a target? The one place that answers it (rules and plan share it).

A torch build runs on an NVIDIA target when the driver supports its CUDA
runtime (fully, or under minor-version compatibility) and the wheel carries
code for the GPU: SASS for its architecture or PTX the driver can JIT. Where
a build's architecture list is not recorded, a GPU newer than the build's CUDA
can target is ruled out (no SASS can exist for it), and anything else is
accepted as "not verified".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from accelctl.matrices import MatrixSet
from accelctl.matrices.base import driver_key

if TYPE_CHECKING:
    from accelctl.plan.target import Target


RUNTIME_OF_VENDOR = {"nvidia": "cuda", "amd": "rocm", "intel": "xpu", "cpu": "cpu"}


def version_of(text: str | None) -> Version:
    """A Version, with unknown or unparsable text ordering first (as 0)."""
    try:
        return Version(text or "0")
    except InvalidVersion:
        return Version("0")




def on_pypi(build, arch: str = "x86_64") -> bool:
    """Whether plain ``pip install torch==X`` gets this build from PyPI on ``arch``."""
    return bool(getattr(build, f"pypi_default_linux_{arch}", False))


def cuda_max_for_driver(matrices: MatrixSet, driver: str | None) -> str | None:
    """Highest CUDA (major.minor) whose full-feature driver minimum ``driver`` meets; None if unknown."""
    from accelctl.matrices.subjects import cuda_toolkit

    return cuda_toolkit.cuda_max_for_driver(matrices.entries_or_empty("cuda_toolkit"), driver)


def driver_needed(matrices: MatrixSet, runtime_version: str, ccs: tuple[str, ...] = ()) -> str | None:
    """The lowest driver that runs a CUDA ``runtime_version`` build at all on GPUs ``ccs``.

    The runtime's major minor-version floor, raised to the GPUs' own floors.
    """
    from accelctl.matrices.subjects.cuda_toolkit import min_driver_for

    floors = [minor_compat_floor(matrices, version_of(runtime_version).major) or min_driver_for(matrices.entries_or_empty("cuda_toolkit"), runtime_version)]
    floors += [gpu_min_driver(matrices, cc) for cc in ccs]
    known = [f for f in floors if f]
    return max(known, key=driver_key) if known else None


def gpu_min_driver(matrices: MatrixSet, cc: str) -> str | None:
    """The oldest driver that can drive a GPU of compute capability ``cc`` (see ``cuda_toolkit.gpu_min_driver``)."""
    from accelctl.matrices.subjects.cuda_toolkit import gpu_min_driver as floor

    return floor(matrices.entries_or_empty("cuda_toolkit"), matrices.entries_or_empty("cuda_arch_support"), cc)


def minor_compat_floor(matrices: MatrixSet, major: int) -> str | None:
    from accelctl.matrices.subjects.cuda_minor_compat import for_major

    e = for_major(matrices.entries_or_empty("cuda_minor_compat"), int(major))
    return e.min_driver_linux if e else None


def _cuda_fits(build, t: Target, matrices: MatrixSet) -> tuple[bool, str, str]:
    """(fits, note, reason if not) for the build's CUDA runtime on the target's driver."""
    runtime = version_of(build.runtime_version)
    if t.cuda_max is None and t.driver is None:
        return True, "driver unknown: CUDA support not checked", ""
    limit = version_of(t.cuda_max) if t.cuda_max else None
    if limit is not None and (runtime.major, runtime.minor) <= (limit.major, limit.minor):
        return True, "", ""
    floor = minor_compat_floor(matrices, runtime.major)
    if t.driver and floor and limit is not None and limit.major == runtime.major:
        try:
            if driver_key(t.driver) >= driver_key(floor):
                return True, (f"CUDA {runtime.major}.{runtime.minor} build on a driver for CUDA {t.cuda_max}: runs under "
                              "minor-version compatibility (no PTX JIT of newer PTX)"), ""
        except ValueError:
            pass
    need = f"CUDA {runtime.major}.{runtime.minor}"
    return False, "", f"{t.name}: driver {t.driver or '?'} supports CUDA {t.cuda_max or '?'}; the build needs {need}"


def _arch_fits(build, t: Target, matrices: MatrixSet) -> tuple[bool, str, str]:
    from accelctl.matrices.subjects.pytorch import supports_cc

    notes = []
    for cc in t.ccs:
        verdict = supports_cc(build, cc, t.arch if t.arch in ("x86_64", "aarch64") else "x86_64")
        if verdict is False:
            return False, "", f"{t.name}: torch {build.torch}+{build.variant} has no kernels for sm_{cc.replace('.', '')}"
        if verdict is None:
            first = _first_cuda_for_cc(matrices, cc)
            if first is not None and version_of(build.runtime_version) < first:
                # no SASS can exist for it; only PTX could run, and this build's PTX is not recorded
                return False, "", (f"{t.name}: sm_{cc.replace('.', '')} needs CUDA {first} or newer; "
                                   f"torch {build.torch}+{build.variant} is built with CUDA {build.runtime_version}")
            notes.append(f"arch list of torch {build.torch}+{build.variant} not recorded: sm_{cc.replace('.', '')} not verified")
    return True, "; ".join(notes), ""


def _first_cuda_for_cc(matrices: MatrixSet, cc: str) -> Version | None:
    for e in matrices.entries_or_empty("cuda_arch_support"):
        if str(getattr(e, "cc", getattr(e, "compute_capability", ""))) == cc:
            first = getattr(e, "first_cuda", None) or getattr(e, "introduced", None) or getattr(e, "added", None)
            return version_of(first) if first else None
    return None


def torch_build_fits(build, t: Target, matrices: MatrixSet) -> tuple[bool, list[str], str]:
    """Whether a torch build runs on a target; notes; the reason when it does not."""
    from accelctl.matrices.subjects.pytorch import manylinux_glibc

    if t.python and build.python and not SpecifierSet(build.python).contains(t.python + ".0" if t.python.count(".") == 1 else t.python):
        return False, [], f"{t.name}: torch {build.torch} needs Python {build.python}, the target has {t.python}"
    floor = manylinux_glibc(build.manylinux) if build.manylinux else None
    if t.glibc and floor and version_of(floor) > version_of(t.glibc):
        return False, [], f"{t.name}: torch {build.torch} wheels need glibc {floor}, the target has {t.glibc}"
    wanted_kind = RUNTIME_OF_VENDOR[t.vendor]
    if build.runtime_kind != wanted_kind:
        return False, [], f"{t.name}: needs a {wanted_kind} build"
    notes: list[str] = []
    if wanted_kind == "cuda" and t.driver:
        for cc in t.ccs:
            floor = gpu_min_driver(matrices, cc)
            if floor and driver_key(t.driver) < driver_key(floor):
                return False, [], f"{t.name}: driver {t.driver} is older than the first driver for sm_{cc.replace('.', '')} GPUs ({floor})"
    if wanted_kind == "cuda":
        for check in (_cuda_fits, _arch_fits):
            ok, note, why = check(build, t, matrices)
            if not ok:
                return False, [], why
            if note:
                notes.append(note)
    if wanted_kind == "rocm" and t.gfx and build.gfx_list:
        missing = [g for g in t.gfx if g not in build.gfx_list]
        if missing:
            return False, [], f"{t.name}: torch {build.torch}+{build.variant} has no kernels for {', '.join(missing)}"
    return True, notes, ""


def first_fitting(builds: list, targets: list[Target], matrices: MatrixSet, reasons: list[str]):
    """The first build (in the given order) that runs on every target.

    Builds whose GPU code is verified beat unverified ones, and full CUDA support
    beats minor-version compatibility (which loses PTX JIT and newer-driver
    features), so "newest" means the newest build that runs without caveats.
    """
    kinds = {RUNTIME_OF_VENDOR[t.vendor] for t in targets}
    tiers: dict = {}
    for b in builds:
        if b.runtime_kind not in kinds:
            continue  # another accelerator's build: not a candidate, not a reason
        results = [torch_build_fits(b, t, matrices) for t in targets]
        why = [r[2] for r in results if r[2]]
        if why:
            reasons.extend(why)
            continue
        notes = [n for r in results for n in r[1]]
        tier = (any("not verified" in n for n in notes), any("minor-version compatibility" in n for n in notes))
        if tier == (False, False):
            return b
        tiers.setdefault(tier, b)
    for tier in ((False, True), (True, False), (True, True)):
        if tier in tiers:
            return tiers[tier]
    return None
