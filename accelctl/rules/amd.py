"""AMD ROCm rules that need no matrix: device access and gfx overrides."""

from __future__ import annotations

from typing import Iterator

from accelctl.findings import Evidence, FixStep
from accelctl.rules.base import Hit, RuleContext, rule


@rule("ROCM003", "no-kfd-access", "error")
def no_kfd_access(ctx: RuleContext) -> Iterator[Hit]:
    """This user cannot open /dev/kfd or the GPU render nodes.

    ROCm talks to AMD GPUs through ``/dev/kfd`` and ``/dev/dri/renderD*``, which
    belong to the ``render`` (and on some systems ``video``) group. Without
    access, frameworks see no GPU. Add the user to those groups (log in again),
    or pass the devices and groups to the container.
    """
    amd = ctx.inventory.amd
    if not amd.gpus or (amd.kfd_access is not False and amd.render_access is not False):
        return
    denied = [p for p, ok in (("/dev/kfd", amd.kfd_access), ("/dev/dri/renderD*", amd.render_access)) if ok is False]
    yield Hit(f"No read/write access to {', '.join(denied)}: ROCm will not see the GPUs.", subject="AMD GPU access",
              evidence=[Evidence("access", ", ".join(denied) + " denied", "access(2)")],
              fixes=[FixStep("Add the user to the render and video groups, then log in again",
                             commands=['sudo usermod -aG render,video "$USER"'], risks=["needs-root"],
                             verify="ls -l /dev/kfd && accelctl doctor --select ROCM003"),
                     FixStep("In a container, pass the devices and groups",
                             commands=["docker run --device=/dev/kfd --device=/dev/dri --group-add video --group-add render IMAGE"],
                             recommended=False, alternative="container")])


@rule("ROCM004", "hsa-override-gfx-version", "warning")
def hsa_override_gfx_version(ctx: RuleContext) -> Iterator[Hit]:
    """HSA_OVERRIDE_GFX_VERSION makes ROCm treat the GPU as another gfx target.

    The override lets consumer GPUs that ROCm does not officially support run
    kernels compiled for a nearby supported target (e.g. 10.3.0 for gfx1030).
    It often works, but kernels may fail or compute wrong results on the real
    hardware, and vendor support does not apply. Prefer a ROCm/torch build that
    supports the GPU's own target.
    """
    value = ctx.inventory.amd.env.get("HSA_OVERRIDE_GFX_VERSION") or ctx.inventory.env.get("HSA_OVERRIDE_GFX_VERSION")
    if not value:
        return
    real = ", ".join(sorted({g.gfx_target for g in ctx.inventory.amd.gpus if g.gfx_target})) or "unknown"
    yield Hit(f"HSA_OVERRIDE_GFX_VERSION={value} is set; the GPU's real target is {real}.", subject="AMD GPU target",
              evidence=[Evidence("HSA_OVERRIDE_GFX_VERSION", value, "environment"), Evidence("gfx target", real, "KFD topology")],
              fixes=[FixStep("Unset the override once a build supports this GPU", commands=["unset HSA_OVERRIDE_GFX_VERSION"],
                             risks=["changes-environment"])])
