"""Fix steps that replace a framework build with one that runs on this node, chosen the way `accelctl plan` chooses.

`doctor` and `plan` must not disagree about the same machine: the fix for a driver too
old for the installed torch is the plan for ``torch`` (and the installed torchvision and
torchaudio) on this node's target, computed by the same solver. The step also removes the
old build's CUDA wheels of another major (they would be left behind, mixed with the new
build's) and restores the files those shared with wheels that stay.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from accelctl.findings import FixStep
from accelctl.plan.install import Want, framework_check, install_command, remove_then_restore
from accelctl.plan.solve import Plan, solve
from accelctl.plan.target import Target, from_inventory

COMPANIONS = ("torchvision", "torchaudio")


def node_target(ctx, env) -> Target:
    """This node as a plan target, with ``env``'s Python and installed distributions."""
    target = from_inventory(ctx.inventory, ctx.matrices, "this node")
    python = ".".join((env.version or "").split(".")[:2]) or target.python
    return dataclasses.replace(target, python=python, installed={d.name.lower(): d.version for d in env.distributions})


def torch_plan(ctx, env) -> Plan:
    """The plan `accelctl plan torch [torchvision] [torchaudio]` makes for this node."""
    installed = {d.name.lower() for d in env.distributions}
    wants = ["torch", *(c for c in COMPANIONS if c in installed)]
    return solve(wants, [node_target(ctx, env)], ctx.matrices)


def variant_fix_steps(ctx, env, fw, vendor: str) -> Iterator[FixStep]:
    """Fix steps that replace ``fw`` (torch) with a build that runs on this node's ``vendor`` accelerator."""
    if fw.name.lower() != "torch":
        yield FixStep(f"Install the {vendor} build of {fw.name}", why="the installed build cannot use this accelerator",
                      risks=["changes-environment", "downloads"], verify=framework_check(env, fw.name))
        return
    plan = torch_plan(ctx, env)
    torch_pin = next((p for p in plan.pins if p.name == "torch"), None)
    if not plan.ok or torch_pin is None:
        blocking = "; ".join(r.blocking for r in plan.refusals) or "no torch build in the matrices"
        yield FixStep(f"No torch build in the matrices runs on this node ({plan.targets[0].describe()})",
                      why=f"{blocking} (see `accelctl plan torch`)", risks=[],
                      verify=f"accelctl doctor --python {env.interpreter}")
        return
    wants = [Want(f"{p.name}{p.spec}", p.index) for p in plan.pins]
    command = install_command(env, wants, reinstall=_same_release_other_build(env, plan))
    stale = _other_major_wheels(env, plan.runtime_version if plan.runtime_kind == "cuda" else None)
    if stale:
        command = remove_then_restore(env, stale) + " && " + command
    version = torch_pin.spec.lstrip("=")
    variant = _variant(plan)
    yield FixStep(
        f"Install torch {version}" + (f" ({variant})" if variant and "+" not in version else "") + "".join(f", {p.name} {p.spec.lstrip('=')}" for p in plan.pins if p.name in COMPANIONS)
        + ", a build that runs here" + (f" (and remove the CUDA {', '.join(sorted(stale_majors(env, stale)))} wheels)" if stale else ""),
        commands=[command],
        why=torch_pin.why + "; the same choice as `accelctl plan torch` for this node",
        risks=["changes-environment", "downloads"],
        verify=framework_check(env, "torch"),
    )


def _same_release_other_build(env, plan: Plan) -> bool:
    """Whether a pin names the installed release without its local tag (``torch==2.5.1`` over ``2.5.1+cpu``).

    A version specifier without a local label matches any local label (PEP 440, "Version
    matching"), so the installer would keep the installed build; it has to be told to reinstall.
    """
    installed = {d.name.lower(): d.version for d in env.distributions}
    for p in plan.pins:
        have = installed.get(p.name.lower())
        want = p.spec.lstrip("=")
        if have and "+" in have and "+" not in want and have.split("+", 1)[0] == want:
            return True
    return False


def _variant(plan: Plan) -> str:
    """'cu121' for a CUDA 12.1 plan (the local tag PyTorch gives such builds), '' otherwise."""
    if plan.runtime_kind != "cuda" or not plan.runtime_version:
        return ""
    return "cu" + "".join(plan.runtime_version.split(".")[:2])


def _other_major_wheels(env, runtime_version: str | None) -> list[str]:
    """Installed CUDA library wheels of another CUDA major than the new build's (those LIB003 would report)."""
    from accelctl.inventory.wheels import wheels_by_cuda_major

    if not runtime_version:
        return []
    major = runtime_version.split(".", 1)[0]
    return sorted(n.split(" ")[0] for m, names in wheels_by_cuda_major(env).items() if m != major for n in names)


def stale_majors(env, names: list[str]) -> set[str]:
    from accelctl.inventory.wheels import wheels_by_cuda_major

    wanted = set(names)
    return {m for m, found in wheels_by_cuda_major(env).items() if any(n.split(" ")[0] in wanted for n in found)}
