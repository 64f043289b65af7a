"""Fix steps for a torch ROCm build that lacks the GPU's gfx target (ROCM002).

Two ways out: a torch build whose PYTORCH_ROCM_ARCH lists the target (from the pytorch and
torch_archs matrices), or ``HSA_OVERRIDE_GFX_VERSION`` naming a listed target of the same
ISA family, so ROCr loads that target's code objects on this GPU.
"""

from __future__ import annotations

from collections.abc import Sequence

from accelctl.findings import FixStep
from accelctl.inventory.python_env import FrameworkInfo, PythonEnvironment
from accelctl.matrices import MatrixSet

# ISA families: the members of each LLVM generic processor, whose code objects run on every member.
# Source: LLVM's AMDGPU processor definitions, llvm/lib/Target/AMDGPU/GCNProcessors.td,
# https://github.com/ROCm/llvm-project/blob/06c62775e4cd479fbfde1c5863016e2665110136/llvm/lib/Target/AMDGPU/GCNProcessors.td
# (the "// [gfx...]" member lists of gfx9-generic ... gfx12-5-generic; read 2026-12-05). gfx103x all share one
# feature set there (FeatureISAVersion10_3_0); the other families' members differ in details.
ISA_FAMILIES: dict[str, tuple[str, ...]] = {
    "gfx9-generic": ("gfx900", "gfx902", "gfx904", "gfx906", "gfx909", "gfx90c"),
    "gfx10-1-generic": ("gfx1010", "gfx1011", "gfx1012", "gfx1013"),
    "gfx10-3-generic": ("gfx1030", "gfx1031", "gfx1032", "gfx1033", "gfx1034", "gfx1035", "gfx1036"),
    "gfx11-generic": ("gfx1100", "gfx1101", "gfx1102", "gfx1103", "gfx1150", "gfx1151", "gfx1152", "gfx1153"),
    "gfx12-generic": ("gfx1200", "gfx1201"),
    "gfx12-5-generic": ("gfx1250", "gfx1251"),
}


def isa_family(gfx: str) -> str | None:
    base = gfx.split(":")[0].lower()
    return next((name for name, members in ISA_FAMILIES.items() if base in members), None)


def override_value(gfx: str) -> str | None:
    """gfx1030 -> "10.3.0", gfx90a -> "9.0.10": HSA_OVERRIDE_GFX_VERSION's major.minor.stepping (decimal)."""
    base = gfx.split(":")[0].lower()
    digits = base[3:]
    if not base.startswith("gfx") or len(digits) < 3:
        return None
    try:
        return f"{int(digits[:-2])}.{int(digits[-2], 16)}.{int(digits[-1], 16)}"
    except ValueError:
        return None


def override_target(gfx: str, built: Sequence[str]) -> str | None:
    """A target the build lists in the GPU's ISA family (never the GPU's own), or None."""
    family = isa_family(gfx)
    if family is None:
        return None
    listed = [g.split(":")[0].lower() for g in built]
    return next((m for m in ISA_FAMILIES[family] if m in listed and m != gfx.split(":")[0].lower()), None)


def build_listing(matrices: MatrixSet, gfx: str, installed: str) -> tuple[str, str, str] | None:
    """(torch version, variant, index URL) of a torch ROCm build that lists ``gfx``: the installed release's if one
    does, else the newest; None when no build in the matrices lists it."""
    from packaging.version import InvalidVersion, Version

    from accelctl.rules.facts import public

    base = gfx.split(":")[0].lower()
    builds = [b for b in matrices.entries_or_empty("pytorch") if b.runtime_kind == "rocm" and base in (b.gfx_list or [])]

    def key(b) -> tuple[Version, Version]:
        try:
            return Version(b.torch), Version(b.runtime_version or "0")
        except InvalidVersion:
            return Version("0"), Version("0")

    if not builds:
        return None
    same = [b for b in builds if b.torch == public(installed)]
    best = max(same or builds, key=key)
    return best.torch, best.variant, best.index_url


def fixes(matrices: MatrixSet, env: PythonEnvironment, fw: FrameworkInfo, gfx: str, archs: Sequence[str]) -> list[FixStep]:
    from accelctl.rules.facts import pip

    steps: list[FixStep] = []
    build = build_listing(matrices, gfx, fw.version)
    if build:
        torch, variant, index = build
        steps.append(FixStep(f"Install torch {torch}+{variant}, a build compiled for {gfx}",
                             commands=[pip(env, "install", "--force-reinstall", f"torch=={torch}+{variant}",
                                           "--index-url", index)],
                             why=f"its PYTORCH_ROCM_ARCH lists {gfx.split(':')[0]} (pytorch matrix)",
                             risks=["changes-environment", "downloads"], alternative="a build for this GPU",
                             verify=f"accelctl doctor --python {env.interpreter} --select ROCM002"))
    target = override_target(gfx, archs)
    value = override_value(target) if target else None
    if target and value:
        steps.append(FixStep(f"{'Or run' if build else 'Run'} as {target} (same ISA family, {isa_family(gfx)}): HSA_OVERRIDE_GFX_VERSION={value}",
                             commands=[f"export HSA_OVERRIDE_GFX_VERSION={value}"],
                             why=f"ROCr then loads the build's {target} code on this {gfx.split(':')[0]}; only within one "
                                 "ISA family, unsupported by AMD, and kernels may fail or give wrong results",
                             recommended=not build, risks=["changes-environment"], alternative="override the target",
                             verify="python -c 'import torch; print(torch.ones(1, device=\"cuda\") + 1)'"))
    if not steps:
        steps.append(FixStep(f"No torch build in the matrices lists {gfx.split(':')[0]}, and no listed target shares its "
                             "ISA family: build torch from source with PYTORCH_ROCM_ARCH set to it, or use another GPU",
                             why="AMD and PyTorch ship no kernels for this target", risks=["changes-environment"]))
    return steps
