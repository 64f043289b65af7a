"""CUDA rules that need the matrices: driver vs runtime, GPU architecture vs wheel, containers, toolkits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from packaging.version import InvalidVersion, Version

from accelctl.findings import Evidence, FixStep
from accelctl.rules.base import CannotDecide, Hit, RuleContext, rule
from accelctl.rules.facts import pip

ASSUME_DRIVER = "--assume driver=VERSION (the version `nvidia-smi` shows)"
REFRESH = "a matrices refresh (`accelctl matrices list` shows what the bundled data covers)"


def _no_driver(subject: str, what: str) -> CannotDecide:
    """The NVIDIA GPUs are known but the driver version is not (no NVML, no kernel module, no libcuda name)."""
    return CannotDecide(f"The NVIDIA driver version is unknown, so {what} cannot be decided.",
                        missing=["NVIDIA driver version"],
                        settle=[ASSUME_DRIVER, "run on the node, where NVML or /proc/driver/nvidia/version gives it"],
                        subject=subject)


def _driver(ctx: RuleContext) -> str | None:
    d = ctx.inventory.nvidia.driver
    return (d.version or d.kernel_module_version) if d else None




def _limits(ctx: RuleContext, major: int) -> list[str]:
    from accelctl.matrices.subjects.cuda_minor_compat import for_major

    e = for_major(ctx.matrices.entries_or_empty("cuda_minor_compat"), major)
    return [lim.what for lim in (e.limits if e else [])]


@rule("DRV001", "driver-too-old-for-cuda-runtime", "error",
      decides_on=("NVIDIA driver version", "CUDA runtime version of each CUDA build", "minimum driver per CUDA release"))
def driver_too_old_for_cuda_runtime(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """The NVIDIA driver is older than the CUDA runtime a framework was built with needs.

    Each CUDA toolkit release has a minimum driver for its full feature set. Below
    it, CUDA's minor-version compatibility still runs programs of the same major
    on any driver at or above that major's floor (12.x: 525.60.13), except for
    features that need the newer driver and JIT compilation of PTX newer than the
    driver (``CUDA_ERROR_UNSUPPORTED_PTX_VERSION``) — a warning. Below the floor,
    or for a newer major, CUDA does not initialise: ``CUDA driver version is
    insufficient for CUDA runtime version`` — an error. Upgrade the driver, or
    install a build for an older CUDA. When only the CUDA version the driver
    supports is known (NVML's driver API version), a build for that CUDA or older
    passes, one for a newer major fails, and one for a newer minor is undecided.
    """
    driver = _driver(ctx)
    if not ctx.inventory.nvidia.gpus:
        return
    from accelctl.matrices.subjects.cuda_minor_compat import compat_status
    from accelctl.matrices.subjects.cuda_toolkit import min_driver_for

    toolkit, minor = ctx.matrices.entries_or_empty("cuda_toolkit"), ctx.matrices.entries_or_empty("cuda_minor_compat")
    for env in ctx.inventory.python:
        for fw in env.frameworks:
            if fw.runtime_kind != "cuda":
                continue
            subject = f"{fw.name} in {env.prefix}"
            if not fw.runtime_version:
                yield CannotDecide(f"{fw.name} {fw.version} is a CUDA build, but the CUDA version it was built with is unknown.",
                                   missing=[f"CUDA runtime version of {fw.name} {fw.version}"],
                                   settle=[f"--assume {fw.name}={fw.version.split('+')[0]}+cuXYZ", REFRESH], subject=subject)
                continue
            if not driver:
                yield from _by_driver_api(ctx, env, fw, subject)
                continue
            status = compat_status(toolkit, minor, driver, fw.runtime_version)
            if status == "unknown":
                yield CannotDecide(f"Whether driver {driver} can run CUDA {fw.runtime_version} ({fw.name} {fw.version}) is not "
                                   "in the matrices.",
                                   missing=[f"minimum driver for CUDA {fw.runtime_version}"], settle=[REFRESH], subject=subject)
                continue
            if status == "full":
                continue
            need = min_driver_for(toolkit, fw.runtime_version)
            try:
                major = Version(fw.runtime_version).major
            except InvalidVersion:
                continue
            upgrade = FixStep(f"Upgrade the NVIDIA driver to {need} or newer" if need else "Upgrade the NVIDIA driver",
                              why=f"the full feature set of CUDA {fw.runtime_version} needs it",
                              risks=["needs-root", "needs-reboot", "drains-node"],
                              verify="nvidia-smi && accelctl doctor --select DRV001", alternative="upgrade the driver")
            drv_facts = ctx.inventory.nvidia.driver
            drv_source = (drv_facts.version_source if drv_facts else None) or "NVML"
            evidence = [Evidence("driver", driver, drv_source),
                        Evidence(f"{fw.name} CUDA runtime", fw.runtime_version, fw.variant_source or fw.source)]
            if need:
                evidence.append(Evidence(f"minimum driver for CUDA {fw.runtime_version}", need, "cuda_toolkit matrix"))
            if status == "minor-compat":
                limits = _limits(ctx, major)
                yield Hit(f"Driver {driver} is older than CUDA {fw.runtime_version} needs for full support ({need}); "
                          f"{fw.name} {fw.version} runs under minor-version compatibility"
                          + (f" with limits: {'; '.join(limits)}" if limits else "") + ".",
                          subject=f"{fw.name} in {env.prefix}", severity="warning", evidence=evidence, fixes=[upgrade])
            else:
                from accelctl.plan.rebuild import variant_fix_steps  # the plan solver: only for a failed check

                switch = [s for s in variant_fix_steps(ctx, env, fw, "nvidia") if s.commands]
                switch = [FixStep(s.title, s.commands, s.why, s.risks, s.verify, alternative="keep the driver",
                                  recommended=True) for s in switch]
                yield Hit(f"Driver {driver} cannot run {fw.name} {fw.version}: it was built with CUDA {fw.runtime_version}, "
                          f"which needs driver {need or 'newer'} (or at least the CUDA {major}.x minor-version floor).",
                          subject=f"{fw.name} in {env.prefix}", evidence=evidence,
                          fixes=switch + [FixStep(upgrade.title, upgrade.commands, upgrade.why, upgrade.risks, upgrade.verify,
                                                  alternative="upgrade the driver", recommended=not switch)])


def _by_driver_api(ctx: RuleContext, env: Any, fw: Any, subject: str) -> Iterator[Hit | CannotDecide]:
    """DRV001 when only the CUDA version the driver supports is known (NVML's driver API version), not the driver.

    That version is the newest CUDA the driver runs in full: a build for it or older runs; a build for a
    newer major cannot run; a newer minor of the same major depends on the exact driver (minor-version
    compatibility), which is unknown.
    """
    d = ctx.inventory.nvidia.driver
    api = d.cuda_driver_version if d else None
    try:
        have, want = Version(api or ""), Version(fw.runtime_version)
    except InvalidVersion:
        yield _no_driver(subject, f"whether it can run {fw.name} {fw.version} (CUDA {fw.runtime_version})")
        return
    if (want.major, want.minor) <= (have.major, have.minor):
        return
    if want.major > have.major:
        yield Hit(f"The driver supports CUDA up to {api}, so it cannot run {fw.name} {fw.version}, built with CUDA "
                  f"{fw.runtime_version} (a newer major needs a newer driver).",
                  subject=subject,
                  evidence=[Evidence("CUDA driver API version", api or "", d.cuda_driver_version_source if d else ""),
                            Evidence(f"{fw.name} CUDA runtime", fw.runtime_version, fw.variant_source or fw.source)],
                  fixes=[FixStep(f"Upgrade the NVIDIA driver to one for CUDA {want.major}.x",
                                 risks=["needs-root", "needs-reboot", "drains-node"],
                                 verify="nvidia-smi && accelctl doctor --select DRV001")])
        return
    yield CannotDecide(f"The driver supports CUDA {api}; {fw.name} {fw.version} needs CUDA {fw.runtime_version}, which "
                       "runs under minor-version compatibility only if the driver is new enough, and its version is unknown.",
                       missing=["NVIDIA driver version"], settle=[ASSUME_DRIVER], subject=subject)


@rule("ARCH001", "gpu-arch-not-in-wheel", "error",
      decides_on=("compute capability of each NVIDIA GPU", "architectures the torch build was compiled for"))
def gpu_arch_not_in_wheel(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """The GPU's architecture is not among those the framework wheel was compiled for.

    A CUDA wheel carries machine code (SASS) for a list of architectures, and
    maybe PTX that the driver can JIT-compile for newer ones. With neither for
    this GPU, the first kernel fails with ``no kernel image is available for
    execution on the device`` (e.g. an RTX 5090, sm_120, with a cu124 wheel; or
    a Pascal GPU with a wheel that dropped sm_60). Install a build whose
    architecture list covers the GPU.
    """
    gpus = ctx.inventory.nvidia.gpus
    if not gpus:
        return
    from accelctl.matrices.subjects.pytorch import archs_for, resolve_installed, supports_cc

    builds = ctx.matrices.entries_or_empty("pytorch")
    arch = ctx.inventory.os.arch or "x86_64"
    for env, fw in ((e, f) for e in ctx.inventory.python for f in e.frameworks if f.name == "torch" and f.runtime_kind == "cuda"):
        for gpu in gpus:
            verdict: bool | None
            cc = gpu.compute_capability
            if not cc:
                yield CannotDecide(f"The compute capability of GPU {gpu.index} ({gpu.name}) is unknown (NVML did not give it and "
                                   "the GPU is not in the nvidia_gpus matrix), so whether "
                                   f"{fw.name} {fw.version} has kernels for it cannot be decided.",
                                   missing=[f"compute capability of GPU {gpu.index} ({gpu.name})"],
                                   settle=["--assume cc=X.Y (e.g. --assume cc=8.9; NVIDIA's CUDA GPUs page lists it)", REFRESH],
                                   subject=f"{fw.name} on GPU {gpu.index}")
                continue
            if fw.compiled_archs:
                verdict = _covers(fw.compiled_archs, fw.compiled_ptx, cc)
                source = fw.archs_source or "compiled architectures"
                archs = ", ".join(fw.compiled_archs + [f"{p} (PTX)" for p in fw.compiled_ptx])
            else:
                platform = arch if arch in ("x86_64", "aarch64") else "x86_64"
                build = resolve_installed(builds, fw.version, platform)
                verdict = supports_cc(build, cc, platform) if build else None
                source = f"pytorch matrix ({platform} wheel)"
                sass, ptx = archs_for(build, platform) if build else (None, [])
                archs = ", ".join((sass or []) + [f"{p} (PTX)" for p in ptx])
            if verdict is None:
                yield CannotDecide(f"The architectures {fw.name} {fw.version} was compiled for are unknown (not read from its "
                                   "libraries and not in the pytorch matrix), so whether it has kernels for "
                                   f"{gpu.name} (sm_{cc.replace('.', '')}) cannot be decided.",
                                   missing=[f"compiled architectures of {fw.name} {fw.version}"],
                                   settle=["--scan-fatbins (read them from the build's libraries)", REFRESH],
                                   subject=f"{fw.name} on GPU {gpu.index}")
                continue
            if verdict is not False:
                continue
            from accelctl.plan.rebuild import variant_fix_steps  # the plan solver: only for a failed check

            yield Hit(f"{fw.name} {fw.version} has no kernels for {gpu.name} (sm_{cc.replace('.', '')}): "
                      f"it was compiled for {archs or 'other architectures'}.",
                      subject=f"{fw.name} on GPU {gpu.index}",
                      evidence=[Evidence("GPU compute capability", cc, gpu.source or "NVML"),
                                Evidence(f"{fw.name} architectures", archs, source)],
                      fixes=list(variant_fix_steps(ctx, env, fw, "nvidia")))


def _covers(archs: list[str], ptx: list[str], cc: str) -> bool:
    from accelctl.matrices.base import cc_key

    def key(a: str):
        a = a.replace("sm_", "").replace("compute_", "")
        if "." not in a and a[:-1].isdigit() and len(a) >= 2:
            a = f"{a[:-1]}.{a[-1]}"
        return cc_key(a)

    want = cc_key(cc)
    for a in archs:
        try:
            k = key(a)
        except ValueError:
            continue
        if k[0] == want[0] and k[1] <= want[1] and not a.rstrip().endswith(("a", "f")):
            return True
        if k == want:
            return True
    for p in ptx:
        try:
            if key(p) <= want:
                return True
        except ValueError:
            continue
    return False


@rule("CTR001", "image-require-cuda-not-met", "error",
      decides_on=("the image's NVIDIA_REQUIRE_* constraints", "NVIDIA driver version", "CUDA version the driver supports"))
def image_require_cuda_not_met(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """The image's NVIDIA_REQUIRE_CUDA is not met by the node's driver.

    The NVIDIA container runtime compares the image's ``NVIDIA_REQUIRE_*``
    constraints with the host driver when the container starts, and refuses to
    start it (``unsatisfied condition: cuda>=12.4``). With
    ``NVIDIA_DISABLE_REQUIRE`` set it starts anyway and fails at the first CUDA
    call instead. Use an image for an older CUDA, or upgrade the node's driver.
    """
    image_env = ctx.inventory.container.image_env
    if not image_env.get("CUDA_VERSION") and not any(k.startswith("NVIDIA_REQUIRE_") for k in image_env):
        return  # no requirement at all (the common case), before importing what the check needs
    from accelctl.plan.fit import cuda_max_for_driver
    from accelctl.probes.nvidia.container_view import evaluate, requirements_from_env

    reqs, disabled = requirements_from_env(image_env)
    driver = _driver(ctx)
    if not reqs or not ctx.inventory.nvidia.gpus:
        return
    if not driver:
        yield _no_driver("image NVIDIA_REQUIRE_CUDA", f"whether the node meets the image's {reqs[0].split(' ')[0]}")
        return
    d = ctx.inventory.nvidia.driver
    cuda = (d.cuda_driver_version if d else None) or cuda_max_for_driver(ctx.matrices, driver)
    gpu = ctx.inventory.nvidia.gpus[0]
    met, detail = evaluate(reqs, {"cuda": cuda, "driver": driver, "brand": getattr(gpu, "brand", None),
                                 "arch": gpu.compute_capability})
    if met is None:
        yield CannotDecide(f"Whether the node meets the image's {reqs[0].split(' ')[0]} cannot be decided: {detail}.",
                           missing=["a property the image's NVIDIA_REQUIRE_* needs (CUDA version, brand or architecture)"],
                           settle=["--assume cuda_driver=X.Y", REFRESH], subject="image NVIDIA_REQUIRE_CUDA")
        return
    if met is not False:
        return
    first = reqs[0].split(" ")[0]
    yield Hit(f"The image requires {first} but the node's driver {driver} supports CUDA {cuda or 'unknown'}"
              + ("; NVIDIA_DISABLE_REQUIRE is set, so it will start and fail at the first CUDA call." if disabled
                 else "; the container runtime will refuse to start it."),
              subject="image NVIDIA_REQUIRE_CUDA", severity="error",
              evidence=[Evidence("NVIDIA_REQUIRE_CUDA", first, "image environment"),
                        Evidence("node driver", f"{driver} (CUDA {cuda or '?'})", d.version_source if d else "")],
              fixes=[FixStep("Build the image on a base for a CUDA the node's driver supports",
                             why=f"the driver supports CUDA up to {cuda}", risks=["rebuilds-image"],
                             alternative="change the image", verify="accelctl gate --image NEW-IMAGE (or doctor --select CTR001 in it)"),
                     FixStep("Or upgrade the node's driver", risks=["needs-root", "needs-reboot", "drains-node"],
                             alternative="upgrade the driver", recommended=False, verify="nvidia-smi && accelctl doctor --select CTR001")])


@rule("CTR002", "forward-compat-libcuda-breaks-cuda", "error",
      decides_on=("whether a compat libcuda loads", "its version against the host driver and GPU"))
def forward_compat_breaks_cuda(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """A forward-compatibility libcuda in the image would load and break CUDA.

    The ``cuda-compat`` package lets newer CUDA run on an older data-center
    driver. If its libcuda is older than the host driver, or the GPU does not
    support forward compatibility (GeForce/Titan), loading it makes CUDA fail to
    initialise. NVIDIA's forward-compatibility table also names, for each
    ``cuda-compat`` package, the driver branches it supports: on a branch it does
    not list (end of life, or a New Feature Branch) the pairing is unsupported
    (a warning), and on one it marks incompatible it fails. Remove the compat
    folder from the loader path for this node.

    References: https://docs.nvidia.com/deploy/cuda-compatibility/forward-compatibility.html
    """
    view = ctx.inventory.nvidia.container
    if view is None or view.compat_in_use is not True:
        return
    fix = FixStep("Stop loading the compat libcuda on this node",
                  commands=["unset LD_LIBRARY_PATH  # or remove /usr/local/cuda/compat from it"],
                  risks=["changes-environment"], verify="accelctl doctor --select CTR002")
    if view.compat_ok is False:
        yield Hit(view.compat_detail, subject="cuda-compat libcuda",
                  evidence=[Evidence("compat libcuda", view.compat_libcuda or "", "image"),
                            Evidence("host driver", _driver(ctx) or "unknown", "NVML")],
                  fixes=[fix])
        return
    # What the probe could not judge (the GPU's segment, the host's driver branch), NVIDIA's forward-compatibility
    # table can: which branches each cuda-compat package supports, and which GPUs may use it at all.
    verdicts = _compat_verdicts(ctx, view.compat_version)
    refused = [(gpu, v) for gpu, v in verdicts if v.status not in ("compatible", "not-needed", "unknown")]
    if refused:
        gpu, verdict = refused[0]
        outcome = ("NVIDIA does not support this pairing" if verdict.status == "branch-not-supported"
                   else f"CUDA fails to initialise on {gpu}")
        yield Hit(f"The forward-compatibility libcuda {view.compat_libcuda or 'cuda-compat'} will load, but "
                  f"{verdict.reason}: {outcome}.",
                  subject="cuda-compat libcuda",
                  evidence=[Evidence("compat libcuda", view.compat_libcuda or "", "image"),
                            Evidence("host driver", _driver(ctx) or "unknown", "NVML"),
                            Evidence("forward compatibility", verdict.status,
                                     "cuda_forward_compat matrix (https://docs.nvidia.com/deploy/cuda-compatibility/"
                                     "forward-compatibility.html)")],
                  fixes=[fix], severity="warning" if verdict.status == "branch-not-supported" else None)
        return
    if view.compat_ok is None and not (verdicts and all(v.ok for _, v in verdicts)):
        yield CannotDecide(f"A forward-compatibility libcuda ({view.compat_libcuda or 'cuda-compat'}) will load; whether it "
                           f"works with this driver and GPU cannot be decided: {view.compat_detail or 'a fact is unknown'}.",
                           missing=["compat libcuda version, host driver version or GPU brand"],
                           settle=[ASSUME_DRIVER], subject="cuda-compat libcuda")


def _compat_verdicts(ctx: RuleContext, compat_version: str | None) -> list[tuple[str, Any]]:
    """``may_use_compat`` for each GPU and the compat package whose libcuda is ``compat_version``; [] when unknown."""
    from accelctl.matrices.subjects import cuda_forward_compat as fc

    driver = _driver(ctx)
    branch = (compat_version or "").split(".", 1)[0]
    if not driver or not branch.isdigit():
        return []
    entries = ctx.matrices.entries_or_empty("cuda_forward_compat")
    package = next((e for e in fc.packages(entries) if e.built_from_branch == int(branch) and e.cuda), None)
    if package is None or not package.cuda:
        return []
    arch = ctx.matrices.entries_or_empty("cuda_arch_support")
    return [(f"GPU {g.index} ({g.name})", fc.may_use_compat(entries, package.cuda, driver, gpu_name=g.name,
                                                          cc=g.compute_capability, arch_entries=arch))
            for g in ctx.inventory.nvidia.gpus]


@rule("TK001", "toolkit-mismatches-torch-cuda", "warning",
      decides_on=("version of the active CUDA toolkit", "CUDA version torch was built with"))
def toolkit_mismatches_torch_cuda(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """The active CUDA toolkit (nvcc, CUDA_HOME) is another version than torch's CUDA: extension builds only.

    Running torch never uses the system toolkit: its wheels bring their own CUDA
    runtime libraries. Only building CUDA extensions (``torch.utils.cpp_extension``,
    flash-attn, xformers, apex from source) compiles with the active nvcc and links
    against torch's CUDA runtime: torch refuses a different major version and warns
    about a different minor. So this is a warning that matters when you build
    extensions on this machine, never an error for running jobs. Point CUDA_HOME at a
    toolkit of torch's CUDA version before building.
    """
    active = [t for t in ctx.inventory.nvidia.toolkits if t.active]
    if not active:
        return
    tk = active[0]
    if not tk.version:
        if any(fw.name == "torch" and fw.runtime_kind == "cuda" for env in ctx.inventory.python for fw in env.frameworks):
            yield CannotDecide(f"The version of the active CUDA toolkit at {tk.path} is unknown, so whether it matches torch's "
                               "CUDA for extension builds cannot be decided.",
                               missing=[f"CUDA toolkit version at {tk.path}"],
                               settle=[f"check the install: {tk.path}/bin/nvcc --version"],
                               subject=f"CUDA toolkit at {tk.path}", severity="info")
        return
    for env in ctx.inventory.python:
        for fw in env.frameworks:
            if fw.name != "torch" or fw.runtime_kind != "cuda" or not fw.runtime_version:
                continue
            try:
                have, want = Version(tk.version), Version(fw.runtime_version)
            except InvalidVersion:
                continue
            major = have.major != want.major
            if not major and "." not in fw.runtime_version:
                # only torch's CUDA major is known (its pins name -cuNN wheels): the minor cannot be compared
                yield CannotDecide(f"torch {fw.version} was built with CUDA {fw.runtime_version}.x, minor unknown, so whether "
                                   f"nvcc {tk.version} at {tk.path} matches it for extension builds cannot be decided.",
                                   missing=[f"the CUDA minor torch {fw.version} was built with"],
                                   settle=["python -c 'import torch; print(torch.version.cuda)' in that environment"],
                                   subject=f"CUDA toolkit for {env.prefix}", severity="info")
                continue
            if (have.major, have.minor) == (want.major, want.minor):
                continue
            yield Hit(f"nvcc {tk.version} at {tk.path} is active, but torch {fw.version} was built with CUDA {fw.runtime_version}: "
                      + ("building CUDA extensions here will fail" if major else "extension builds warn and may misbehave")
                      + " (running torch is not affected).",
                      subject=f"CUDA toolkit for {env.prefix}",
                      evidence=[Evidence("active toolkit", f"{tk.version} ({tk.active_because})", tk.version_source),
                                Evidence("torch CUDA", fw.runtime_version, fw.variant_source or fw.source)],
                      fixes=[_matching_nvcc_step(ctx, env, want.major, want.minor) if "." in fw.runtime_version
                             else _nvcc_of_major_step(want.major)])


def _nvcc_of_major_step(major: int) -> FixStep:
    """When only torch's CUDA major is known (its pins name ``-cu12`` wheels), no toolkit version can be named."""
    return FixStep(f"Use the CUDA {major}.x toolkit torch was built with for extension builds",
                   why=f"nvcc must match torch's CUDA when compiling extensions; the CUDA {major} minor of this torch is "
                       "unknown: `python -c 'import torch; print(torch.version.cuda)'` prints it",
                   risks=["needs-root", "downloads"], verify="nvcc --version && accelctl doctor --select TK001")


def _matching_nvcc_step(ctx: RuleContext, env: Any, major: int, minor: int) -> FixStep:
    """nvcc of CUDA major.minor: the PyPI wheel where one exists for that minor, else NVIDIA's installer."""
    from accelctl.matrices.subjects import nvidia_libraries

    wheel = nvidia_libraries.wheel_for_minor(ctx.matrices.entries_or_empty("nvidia_libraries"), "nvcc", major, minor)
    title = f"Use a CUDA {major}.{minor} toolkit for extension builds"
    why = "nvcc must match torch's CUDA when compiling extensions"
    if wheel:
        return FixStep(title, commands=[pip(env, "install", f"{wheel}=={major}.{minor}.*")], why=why,
                       risks=["changes-environment", "downloads"], verify=f"accelctl doctor --select TK001 --python {env.interpreter}")
    return FixStep(title, commands=[f"export CUDA_HOME=/usr/local/cuda-{major}.{minor}",
                                    'export PATH="$CUDA_HOME/bin:$PATH"'],
                   why=f"{why}; PyPI has no nvcc wheel for CUDA {major}.{minor}: install that toolkit from NVIDIA's "
                       "archive (https://developer.nvidia.com/cuda-toolkit-archive) and point CUDA_HOME at it",
                   risks=["needs-root", "downloads"], verify="nvcc --version && accelctl doctor --select TK001")


@rule("DRV004", "nvswitch-without-fabric-manager", "error",
      decides_on=("NVSwitch presence", "fabric manager version", "NVIDIA driver version"))
def nvswitch_without_fabric_manager(ctx: RuleContext) -> Iterator[Hit]:
    """An NVSwitch system has no running fabric manager of the driver's version.

    On HGX/DGX systems with NVSwitch, GPUs stay unusable for CUDA until
    ``nv-fabricmanager`` of exactly the driver's version has configured the
    fabric (``cudaErrorSystemNotReady``). Install and start the package matching
    the driver.
    """
    nv = ctx.inventory.nvidia
    d = nv.driver
    if not nv.nvswitch_present or d is None:
        return
    fm = d.fabric_manager_version
    if fm and d.version and fm == d.version:
        return
    branch = (d.version or "").split(".")[0]
    yield Hit(f"NVSwitch is present but the fabric manager is {'version ' + fm if fm else 'not installed'}; the driver is {d.version}.",
              subject="NVSwitch fabric",
              evidence=[Evidence("fabric manager", fm or "absent", d.fabric_manager_source), Evidence("driver", d.version or "?", d.version_source)],
              fixes=[FixStep(f"Install nvidia-fabricmanager for driver {d.version} and start it",
                             commands=[f"sudo apt-get install -y nvidia-fabricmanager-{branch}={d.version}-1",
                                       "sudo systemctl enable --now nvidia-fabricmanager"],
                             risks=["needs-root"], verify="systemctl status nvidia-fabricmanager && nvidia-smi -q | grep -A2 Fabric")])


@rule("TK002", "host-compiler-too-new-for-nvcc", "warning",
      decides_on=("version of the active CUDA toolkit", "host GCC version nvcc would use", "newest GCC per CUDA release"))
def host_compiler_too_new_for_nvcc(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """The host gcc that nvcc would use is newer than the active CUDA toolkit supports.

    nvcc compiles host code with GCC, and each toolkit's ``crt/host_config.h``
    rejects a GCC major newer than it was qualified with: every CUDA extension
    build (``torch.utils.cpp_extension``, flash-attn, apex ...) stops with
    ``unsupported GNU version! gcc versions later than N are not supported``.
    Install a GCC the toolkit supports and point nvcc at it with NVCC_CCBIN or
    CUDAHOSTCXX, or use a newer toolkit.
    """
    from accelctl.matrices.subjects.cuda_host_compilers import max_gcc_for

    active = [t for t in ctx.inventory.nvidia.toolkits if t.active and t.version and t.host_gcc]
    if not active:
        return
    tk = active[0]
    limit = max_gcc_for(ctx.matrices.entries_or_empty("cuda_host_compilers"), str(tk.version))
    try:
        major = int(str(tk.host_gcc).split(".")[0])
    except ValueError:
        return
    if limit is None:
        yield CannotDecide(f"The newest GCC that CUDA {tk.version} accepts is not in the matrices, so whether GCC "
                           f"{tk.host_gcc} can build extensions with it cannot be decided.",
                           missing=[f"newest host GCC for CUDA {tk.version}"], settle=[REFRESH],
                           subject=f"host compiler for {tk.path}", severity="info")
        return
    if major <= limit:
        return
    yield Hit(f"nvcc {tk.version} at {tk.path} supports host GCC up to {limit}, but would use GCC {tk.host_gcc}: "
              f"building CUDA extensions fails with \"unsupported GNU version\".",
              subject=f"host compiler for {tk.path}",
              evidence=[Evidence("host gcc", str(tk.host_gcc), tk.host_gcc_source or ""),
                        Evidence(f"newest GCC for CUDA {tk.version}", str(limit), "cuda_host_compilers matrix")],
              fixes=[FixStep(f"Install GCC {limit} (or older) and have nvcc use it",
                             commands=[f"sudo apt-get install -y gcc-{limit} g++-{limit}",
                                       f"export NVCC_CCBIN=/usr/bin/gcc-{limit}",
                                       f"export CUDAHOSTCXX=/usr/bin/g++-{limit}"],
                             why=f"CUDA {tk.version}'s host_config.h rejects GCC newer than {limit}",
                             risks=["needs-root", "changes-environment"],
                             verify="accelctl doctor --select TK002")])
