"""Pick pinned versions that the matrices say will work on every target, or say why none does.

Pure: wants + targets + matrices in, a Plan out. Torch-family choices come
first (vllm and extensions fix torch's version), then JAX and TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from accelctl.matrices import MatrixSet
from accelctl.matrices.base import cc_key, driver_key
from accelctl.plan.fit import first_fitting, minor_compat_floor, on_pypi, torch_build_fits, version_of
from accelctl.plan.target import Target

PYPI = "https://pypi.org/simple"


@dataclass(frozen=True)
class Pin:
    name: str
    spec: str  # "==2.5.1+cu124"
    why: str
    index: str | None = None  # the index this package must come from (None: PyPI)


@dataclass(frozen=True)
class Refusal:
    want: str
    blocking: str  # the fact that rules every candidate out
    change: str  # the smallest change that unblocks it


@dataclass(frozen=True)
class Plan:
    targets: list[Target]
    pins: list[Pin] = field(default_factory=list)
    passthrough: list[str] = field(default_factory=list)  # wants accelctl does not judge, kept as given
    refusals: list[Refusal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    runtime_kind: str | None = None  # cuda | rocm | xpu | cpu
    runtime_version: str | None = None

    @property
    def ok(self) -> bool:
        return not self.refusals

    @property
    def indexes(self) -> list[str]:
        return sorted({p.index for p in self.pins if p.index})






def parse_wants(wants: Sequence[str]) -> list[Requirement]:
    out = []
    for w in wants:
        try:
            out.append(Requirement(w))
        except InvalidRequirement as exc:
            raise ValueError(f"cannot read the requirement {w!r}: {exc}") from None
    return out


# -- choosing ----------------------------------------------------------------------

def _want(reqs: list[Requirement], name: str) -> Requirement | None:
    for r in reqs:
        if canonicalize_name(r.name) == name:
            return r
    return None


def _ordered_builds(matrices: MatrixSet, spec: SpecifierSet, strategy: str, targets: list[Target]) -> list:
    builds = [b for b in matrices.entries_or_empty("pytorch") if spec.contains(b.torch, prereleases=False)]
    installed = next((t.installed.get("torch") for t in targets if t.installed.get("torch")), None)
    if strategy == "closest" and installed:
        have = version_of(installed.split("+")[0])
        builds.sort(key=lambda b: (abs(version_of(b.torch).release[0] - have.release[0]) * 1000
                                   + abs(version_of(b.torch).release[1] - have.release[1]) if len(have.release) > 1 else 0,
                                   -version_of(b.runtime_version).major if b.runtime_version else 0))
        return builds
    # newest torch first; within a release the PyPI default first (no extra index), then the newest runtime
    arch = targets[0].arch if targets else "x86_64"
    builds.sort(key=lambda b: (version_of(b.torch), on_pypi(b, arch), version_of(b.runtime_version)), reverse=True)
    # Where the target already has torch (a plan for a probed node or snapshot, and doctor's fixes, which plan for
    # this node), its release goes first: first_fitting still prefers a build that runs without caveats in any
    # release to a caveated one of this release, so the installed release is kept only where it runs in full.
    if installed:
        keep = version_of(installed.split("+")[0])
        builds.sort(key=lambda b: version_of(b.torch) != keep)
    return builds


def _torch_family(reqs: list[Requirement], targets: list[Target], matrices: MatrixSet, strategy: str,
                  plan: dict[str, Any]) -> None:
    from accelctl.matrices.subjects import torch_companions

    torch_req = _want(reqs, "torch")
    vllm_req = _want(reqs, "vllm")
    ext_reqs = [r for r in (_want(reqs, "xformers"), _want(reqs, "flash-attn")) if r]
    companions = [r for r in (_want(reqs, "torchvision"), _want(reqs, "torchaudio")) if r]
    if not (torch_req or vllm_req or ext_reqs or companions):
        return
    spec = torch_req.specifier if torch_req else SpecifierSet()
    arch = targets[0].arch if targets else "x86_64"
    pins: list[Pin] = plan["pins"]  # type: ignore[assignment]
    notes: list[str] = plan["notes"]  # type: ignore[assignment]
    reasons: list[str] = []

    vllm_choice = None
    if vllm_req:
        releases = sorted((v for v in matrices.entries_or_empty("vllm") if vllm_req.specifier.contains(v.vllm, prereleases=False) and v.torch),
                          key=lambda v: version_of(v.vllm), reverse=True)
        for rel in releases:
            pinned = [b for b in _ordered_builds(matrices, SpecifierSet(f"=={rel.torch}"), strategy, targets)
                      if on_pypi(b, arch) and spec.contains(b.torch)]
            ok_build = first_fitting(pinned, targets, matrices, reasons)
            if ok_build is not None:
                vllm_choice = (rel, ok_build)
                break
        if vllm_choice is None:
            torch_pins = {r.torch for r in releases}
            plan["refusals"].append(_refuse(str(vllm_req), reasons, targets, matrices,
                                            [b for b in matrices.entries_or_empty("pytorch") if on_pypi(b, arch) and b.torch in torch_pins]))
            return

    if vllm_choice:
        rel, build = vllm_choice
        pins.append(Pin("vllm", f"=={rel.vllm}", f"newest vllm{vllm_req.specifier if vllm_req else ''} whose torch runs on every target"))
    else:
        builds = _ordered_builds(matrices, spec, strategy, targets)
        builds = [b for b in builds if _extensions_ok(b, ext_reqs, matrices) and _companions_ok(b, companions, matrices)]
        build = first_fitting(builds, targets, matrices, reasons)
        if build is None:
            plan["refusals"].append(_refuse(str(torch_req or "torch"), reasons, targets, matrices, builds))
            return
    fits_notes = sorted({n for t in targets for n in torch_build_fits(build, t, matrices)[1]})
    notes.extend(fits_notes)
    index = None if on_pypi(build, arch) else build.index_url
    local = "" if index is None else f"+{build.variant}"
    plan["runtime_kind"], plan["runtime_version"] = build.runtime_kind, build.runtime_version
    pins.append(Pin("torch", f"=={build.torch}{local}",
                    f"{build.runtime_kind.upper()} {build.runtime_version or ''} build".replace("  ", " ").strip()
                    + (" from PyPI (the default build)" if index is None else f" from {index}"), index))
    for name, version in sorted((build.pins or {}).items()):
        spec_text = version if version[:1] in "=<>~!" else f"=={version}"
        pins.append(Pin(name, spec_text, f"pinned by torch {build.torch}+{build.variant}"))
    comp = torch_companions.companions_for(matrices.entries_or_empty("torch_companions"), build.torch)
    for req in companions:
        name = canonicalize_name(req.name)
        versions = [v for v in (getattr(comp, name, None) or []) if req.specifier.contains(v)] if comp else []
        if vllm_choice and getattr(vllm_choice[0], name, None):
            versions = [getattr(vllm_choice[0], name)]
        if not versions:
            plan["refusals"].append(Refusal(str(req), f"no {name} release is recorded as paired with torch {build.torch}",
                                            f"choose a torch release that has a {name} pairing (accelctl matrices show torch_companions)"))
            continue
        pins.append(Pin(name, f"=={versions[0]}{local}", f"the {name} release built for torch {build.torch}", index))
    for req in ext_reqs:
        pins.append(_extension_pin(req, build, matrices))
    if vllm_choice and vllm_choice[0].flashinfer:
        pins.append(Pin("flashinfer-python", f"=={vllm_choice[0].flashinfer}", f"pinned by vllm {vllm_choice[0].vllm}"))


def _companions_ok(build, companions: list[Requirement], matrices: MatrixSet) -> bool:
    from accelctl.matrices.subjects import torch_companions

    if not companions:
        return True
    comp = torch_companions.companions_for(matrices.entries_or_empty("torch_companions"), build.torch)
    return comp is not None and all(
        any(r.specifier.contains(v) for v in (getattr(comp, canonicalize_name(r.name), None) or [])) for r in companions)


def _extensions_ok(build, ext_reqs: list[Requirement], matrices: MatrixSet) -> bool:
    from accelctl.matrices.subjects import torch_extensions

    entries = matrices.entries_or_empty("torch_extensions")
    for req in ext_reqs:
        name = canonicalize_name(req.name)
        ok = any(canonicalize_name(e.package) == name and req.specifier.contains(e.version)
                 and torch_extensions.torch_compatible(entries, e.package, e.version, build.torch) for e in entries)
        if not ok:
            return False
    return True


def _extension_pin(req: Requirement, build, matrices: MatrixSet) -> Pin:
    from accelctl.matrices.subjects import torch_extensions

    entries = matrices.entries_or_empty("torch_extensions")
    name = canonicalize_name(req.name)
    fits = sorted((e for e in entries if canonicalize_name(e.package) == name and req.specifier.contains(e.version)
                   and torch_extensions.torch_compatible(entries, e.package, e.version, build.torch)),
                  key=lambda e: version_of(e.version), reverse=True)
    e = fits[0]
    why = f"newest {e.package} built for torch {build.torch}"
    if not e.on_pypi:
        why += "; PyPI has only its source (builds with nvcc), prebuilt wheels are on its GitHub releases"
    return Pin(e.package, f"=={e.version}", why)


def _refuse(want: str, reasons: list[str], targets: list[Target], matrices: MatrixSet, candidates: Sequence = ()) -> Refusal:
    """Name the fact that blocks every candidate, and the smallest change that unblocks one."""
    if not reasons:
        return Refusal(want, "no release in the matrices matches the requested versions",
                       "widen the version range (accelctl matrices show pytorch lists the builds)")
    counts: dict[str, int] = {}
    for r in reasons:
        counts[r] = counts.get(r, 0) + 1
    blocking = max(counts, key=lambda r: counts[r])
    nvidia = [t for t in targets if t.vendor == "nvidia"]
    if nvidia and candidates:
        import dataclasses

        from accelctl.plan.fit import driver_needed

        relaxed = [dataclasses.replace(t, driver=None, cuda_max=None) for t in targets]
        freed = [b for b in candidates if b.runtime_kind == "cuda" and b.runtime_version
                 and all(torch_build_fits(b, t, matrices)[0] for t in relaxed)]
        ccs = tuple(sorted({c for t in nvidia for c in t.ccs}))
        needs = [(driver_needed(matrices, b.runtime_version, ccs), b) for b in freed]
        needs = [(d, b) for d, b in needs if d]
        if needs:
            driver, build = min(needs, key=lambda n: driver_key(n[0] or "0"))
            low = min(nvidia, key=lambda t: driver_key(t.driver) if t.driver else (0,))
            blocking = next((r for r in reasons if "supports CUDA" in r), blocking)
            return Refusal(want, blocking,
                           f"upgrade the NVIDIA driver of {low.name} to {driver} or newer: then torch {build.torch}+{build.variant} "
                           f"(CUDA {build.runtime_version}) runs there")
    return Refusal(want, blocking, _smallest_change(blocking))


def _smallest_change(blocking: str) -> str:
    if "has no kernels" in blocking or "needs CUDA" in blocking:
        return "ask for a newer release built with a CUDA that supports this GPU, or run on a GPU the build supports"
    if "needs Python" in blocking:
        return "use a Python version the release supports (see `accelctl matrices explain torch VERSION`)"
    if "glibc" in blocking:
        return "use a newer base OS/image (higher glibc) or an older release"
    if "supports CUDA" in blocking:
        return "upgrade the NVIDIA driver, or ask for an older release"
    return "see `accelctl matrices explain`"


def _jax(reqs: list[Requirement], targets: list[Target], matrices: MatrixSet, plan: dict[str, Any]) -> None:
    req = next((r for r in reqs if canonicalize_name(r.name) == "jax"), None)
    if req is None:
        return
    wants_cuda = any(x.startswith("cuda") for x in req.extras) or all(t.vendor == "nvidia" for t in targets)
    releases = sorted((r for r in matrices.entries_or_empty("jax") if req.specifier.contains(r.jax)), key=lambda r: version_of(r.jax), reverse=True)
    reasons: list[str] = []
    for rel in releases:
        py_bad = [t for t in targets if t.python and not SpecifierSet(rel.python).contains(t.python + ".0")]
        if py_bad:
            reasons.append(f"jax {rel.jax} needs Python {rel.python}")
            continue
        if not wants_cuda:
            plan["pins"] += [Pin("jax", f"=={rel.jax}", "newest jax for the targets (CPU)")]  # type: ignore[operator]
            if rel.jaxlib_paired:
                plan["pins"] += [Pin("jaxlib", f"=={rel.jaxlib_paired}", f"the jaxlib jax {rel.jax} pairs with")]  # type: ignore[operator]
            return
        for stack in sorted(rel.cuda, key=lambda s: -s.cuda_major):
            if stack.kind != "plugin":  # the old all-in-one jaxlib+cuda wheels live outside PyPI
                continue
            why = [w for w in (_jax_stack_blocks(stack, t, matrices) for t in targets) if w]
            if why:
                reasons.extend(why)
                continue
            extra = stack.extra or f"cuda{stack.cuda_major}"
            plan["pins"] += [Pin("jax", f"[{extra}]=={rel.jax}", f"newest jax whose CUDA {stack.cuda_major} plugin runs on every target")]  # type: ignore[operator]
            for name, value in (("jaxlib", stack.jaxlib), (f"jax-cuda{stack.cuda_major}-plugin", stack.plugin),
                                (f"jax-cuda{stack.cuda_major}-pjrt", stack.pjrt)):
                if value:
                    plan["pins"] += [Pin(name, f"=={value}", f"released with jax {rel.jax}")]  # type: ignore[operator]
            return
    plan["refusals"].append(_refuse(str(req), reasons, targets, matrices))


def _jax_stack_blocks(stack, t: Target, matrices: MatrixSet) -> str:
    if t.vendor != "nvidia":
        return f"{t.name}: jax's CUDA plugin needs an NVIDIA GPU"
    if stack.min_cc and t.ccs and any(cc_key(c) < cc_key(stack.min_cc) for c in t.ccs):
        return f"{t.name}: jax CUDA {stack.cuda_major} needs compute capability {stack.min_cc} or newer"
    floor = stack.min_driver or minor_compat_floor(matrices, stack.cuda_major)
    if t.driver and floor:
        try:
            if driver_key(t.driver) < driver_key(floor):
                return f"{t.name}: driver {t.driver} supports CUDA {t.cuda_max or '?'}; jax's CUDA {stack.cuda_major} plugin needs driver {floor}"
        except ValueError:
            return ""
    elif t.cuda_max and version_of(t.cuda_max).major < stack.cuda_major:
        return f"{t.name}: driver supports CUDA {t.cuda_max}; jax's plugin needs CUDA {stack.cuda_major}"
    return ""


def _tensorflow(reqs: list[Requirement], targets: list[Target], matrices: MatrixSet, plan: dict[str, Any]) -> None:
    req = next((r for r in reqs if canonicalize_name(r.name) == "tensorflow"), None)
    if req is None:
        return
    gpu = all(t.vendor == "nvidia" for t in targets)
    reasons: list[str] = []
    for rel in sorted((r for r in matrices.entries_or_empty("tensorflow") if req.specifier.contains(r.tensorflow)),
                      key=lambda r: version_of(r.tensorflow), reverse=True):
        py = [t for t in targets if t.python and rel.requires_python and not SpecifierSet(rel.requires_python).contains(t.python + ".0")]
        if py:
            reasons.append(f"tensorflow {rel.tensorflow} needs Python {rel.requires_python}")
            continue
        if gpu and rel.cuda:
            need = version_of(rel.cuda)
            bad = [t for t in targets if t.cuda_max and (version_of(t.cuda_max).major, version_of(t.cuda_max).minor) < (need.major, need.minor)
                   and not (t.driver and minor_compat_floor(matrices, need.major) and version_of(t.cuda_max).major == need.major
                            and driver_key(t.driver) >= driver_key(minor_compat_floor(matrices, need.major) or "0"))]
            if bad:
                reasons.append(f"{bad[0].name}: driver supports CUDA {bad[0].cuda_max}; tensorflow {rel.tensorflow} is built with CUDA {rel.cuda}")
                continue
        extra = "[and-cuda]" if gpu and rel.and_cuda else ""
        plan["pins"] += [Pin("tensorflow", f"{extra}=={rel.tensorflow}",  # type: ignore[operator]
                             f"newest tensorflow tested with CUDA {rel.cuda} / cuDNN {rel.cudnn}" if gpu else "newest tensorflow for the targets")]
        return
    plan["refusals"].append(_refuse(str(req), reasons, targets, matrices))


JUDGED = {"torch", "torchvision", "torchaudio", "vllm", "xformers", "flash-attn", "jax", "tensorflow"}


def solve(wants: Sequence[str], targets: list[Target], matrices: MatrixSet, strategy: str = "newest") -> Plan:
    reqs = parse_wants(wants)
    kinds = {t.vendor for t in targets}
    state: dict[str, Any] = {"pins": [], "refusals": [], "notes": [], "runtime_kind": None, "runtime_version": None}
    if len(kinds) > 1 and not kinds <= {"cpu"}:
        state["refusals"].append(Refusal(", ".join(wants), "the targets mix accelerator vendors: " + ", ".join(sorted(kinds)),
                                         "plan each vendor's node classes separately (one image cannot carry two runtimes)"))
    else:
        _torch_family(reqs, targets, matrices, strategy, state)
        _jax(reqs, targets, matrices, state)
        _tensorflow(reqs, targets, matrices, state)
    passthrough = [str(r) for r in reqs if canonicalize_name(r.name) not in JUDGED]
    return Plan(targets, state["pins"], passthrough, state["refusals"], state["notes"],  # type: ignore[arg-type]
                state["runtime_kind"], state["runtime_version"])  # type: ignore[arg-type]
