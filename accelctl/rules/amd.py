"""AMD ROCm rules that need no matrix: device access and gfx overrides."""

from __future__ import annotations

from collections.abc import Iterator

from accelctl.findings import Evidence, FixStep
from accelctl.rules.base import CannotDecide, Hit, RuleContext, rule

REFRESH = "a matrices refresh (`accelctl matrices list` shows what the bundled data covers)"


@rule("ROCM003", "no-kfd-access", "error", decides_on=("read/write access to /dev/kfd and the render nodes",))
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
                             recommended=False, alternative="container", verify="ls -l /dev/kfd /dev/dri && accelctl doctor --select ROCM003")])


@rule("ROCM004", "hsa-override-gfx-version", "warning", decides_on=("HSA_OVERRIDE_GFX_VERSION",))
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
                             risks=["changes-environment"], verify="accelctl doctor --select ROCM004")])


@rule("ROCM001", "gfx-target-unsupported-by-rocm", "warning",
      decides_on=("gfx target of each AMD GPU", "version of the active ROCm", "gfx targets per ROCm release"))
def gfx_target_unsupported_by_rocm(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """The GPU's gfx target is not supported by the installed ROCm release.

    AMD publishes, per ROCm release, the gfx targets it supports on Linux. An
    unlisted GPU may run parts of the stack (often only with
    HSA_OVERRIDE_GFX_VERSION) but libraries such as rocBLAS/MIOpen may lack its
    kernels, and AMD does not support it. Install a ROCm release that lists it.
    """
    amd = ctx.inventory.amd
    if not amd.gpus or not amd.rocm:
        return
    from accelctl.matrices import MatrixError
    from accelctl.matrices.subjects.rocm import releases_supporting, supports_gfx

    try:
        entries = ctx.matrices.entries("rocm")
    except MatrixError as exc:
        yield CannotDecide(f"The rocm matrix could not be read ({exc}).", missing=["gfx targets per ROCm release"],
                           settle=[REFRESH], subject="ROCm")
        return
    rocm = next((r for r in amd.rocm if r.active), amd.rocm[0])
    if not rocm.version:
        yield CannotDecide(f"The version of ROCm at {rocm.path} is unknown, so whether it supports the GPUs cannot be decided.",
                           missing=[f"ROCm version at {rocm.path}"], settle=[f"check {rocm.path}/.info/version"],
                           subject=f"ROCm at {rocm.path}")
        return
    unknown = [g for g in amd.gpus if not g.gfx_target]
    if unknown:
        yield CannotDecide(f"The gfx target of {', '.join(f'GPU {g.index}' for g in unknown)} is unknown, so ROCm support "
                           "for it cannot be decided.", missing=[f"gfx target of GPU {g.index}" for g in unknown],
                           settle=["run on the node with /sys/class/kfd readable"], subject="AMD GPUs")
    for gfx in sorted({g.gfx_target for g in amd.gpus if g.gfx_target}):
        supported = supports_gfx(entries, rocm.version, gfx)
        if supported is None:
            yield CannotDecide(f"ROCm {rocm.version} or {gfx} is not in the rocm matrix, so support cannot be decided.",
                               missing=[f"whether ROCm {rocm.version} supports {gfx}"], settle=[REFRESH],
                               subject=f"ROCm for {gfx}")
            continue
        if supported is not False:
            continue
        good = releases_supporting(entries, gfx)
        yield Hit(f"ROCm {rocm.version} at {rocm.path} does not list {gfx} as supported"
                  + (f"; releases that do: {', '.join(good[-4:])}" if good else "; no ROCm release in the matrix lists it") + ".",
                  subject=f"ROCm for {gfx}",
                  evidence=[Evidence("gfx target", gfx, amd.source), Evidence("ROCm", rocm.version, rocm.version_source)],
                  fixes=[FixStep(f"Install ROCm {good[-1]}", why=f"it lists {gfx}", risks=["needs-root"],
                                 verify="accelctl doctor --select ROCM001")] if good else [])


@rule("ROCM002", "torch-rocm-build-lacks-gfx", "error",
      decides_on=("gfx target of each AMD GPU", "gfx targets the torch ROCm build was compiled for"))
def torch_rocm_build_lacks_gfx(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """The ROCm torch wheel was not compiled for this GPU's gfx target.

    PyTorch ROCm wheels carry kernels for a list of gfx targets
    (PYTORCH_ROCM_ARCH). On a GPU outside the list the first kernel fails with
    ``HIP error: invalid device function``.

    How to fix: install a torch build whose list has the target (the pytorch
    matrix names one where it knows one). Or, at your own risk, set
    ``HSA_OVERRIDE_GFX_VERSION`` to a listed target of the same ISA family (the
    members of one LLVM generic processor: gfx1031 runs gfx1030's code with
    ``10.3.0``); never across families, and AMD does not support it.

    References: PyTorch's ROCm wheel targets (PYTORCH_ROCM_ARCH in
    .ci/docker/manywheel/build.sh); LLVM AMDGPU processors,
    https://llvm.org/docs/AMDGPUUsage.html#processors; reports:
    https://github.com/pytorch/pytorch/issues/132570 (gfx1010 and gfx1031 on
    torch 2.5.1+rocm6.2), https://github.com/ROCm/rocALUTION/issues/197 (gfx1031,
    HSA_OVERRIDE_GFX_VERSION=10.3.0)
    """
    gfxs = sorted({g.gfx_target for g in ctx.inventory.amd.gpus if g.gfx_target})
    if not gfxs:
        return
    from accelctl.matrices import MatrixError
    from accelctl.matrices.subjects.pytorch import entry
    from accelctl.rules import rocm_fixes

    try:
        builds = ctx.matrices.entries("pytorch")
    except MatrixError:
        builds = []
    for env in ctx.inventory.python:
        for fw in env.frameworks:
            if fw.name != "torch" or fw.runtime_kind != "rocm":
                continue
            archs = list(fw.compiled_archs)
            if not archs:
                build = entry(builds, fw.version)
                archs = list(build.gfx_list or []) if build else []
            if not archs:
                yield CannotDecide(f"The gfx targets torch {fw.version} was compiled for are unknown, so whether it runs on "
                                   f"{', '.join(gfxs)} cannot be decided.",
                                   missing=[f"compiled gfx targets of torch {fw.version}"],
                                   settle=["--scan-fatbins (read them from the build's libraries)", REFRESH],
                                   subject=f"torch in {env.prefix}")
                continue
            override = ctx.inventory.amd.override_gfx_target
            for gfx in gfxs:
                if gfx in archs or gfx.split(":")[0] in archs or override in archs:
                    continue  # an override to a listed target is ROCM004's to report
                yield Hit(f"torch {fw.version} was built for {', '.join(archs)}; this GPU is {gfx}.",
                          subject=f"torch on {gfx}",
                          evidence=[Evidence("torch ROCm architectures", ", ".join(archs), fw.archs_source or "pytorch matrix"),
                                    Evidence("gfx target", gfx, ctx.inventory.amd.source)],
                          fixes=rocm_fixes.fixes(ctx.matrices, env, fw, gfx, archs))
