"""Framework rules: the wheel's accelerator variant, and requirement conflicts between wheels."""

from __future__ import annotations

import re
from collections.abc import Iterator

from accelctl.findings import Evidence, FixStep
from accelctl.rules import loader_view
from accelctl.rules.base import CannotDecide, Hit, RuleContext, rule
from accelctl.rules.facts import applies, dists, gpu_vendors, norm, pip, requirement, requirement_name

# Packages whose requirements decide whether accelerated code runs (the focus of our `pip check`).
ACCELERATOR_PACKAGES = {
    "torch", "torchvision", "torchaudio", "xformers", "vllm", "flash-attn", "flashinfer-python", "deepspeed",
    "bitsandbytes", "jax", "jaxlib", "jax-cuda12-plugin", "jax-cuda12-pjrt", "jax-cuda13-plugin", "jax-cuda13-pjrt",
    "tensorflow", "tensorflow-cpu", "onnxruntime-gpu", "intel-extension-for-pytorch", "torch-xla", "libtpu",
    "torch-neuronx", "paddlepaddle-gpu", "tensorrt", "cupy-cuda11x", "cupy-cuda12x", "cupy-cuda13x", "torchao",
}
_RUNTIME_VENDOR = {"cuda": "nvidia", "rocm": "amd", "xpu": "intel"}
_VENDOR_RUNTIME = {"nvidia": "CUDA", "amd": "ROCm", "intel": "XPU"}


@rule("FW001", "wheel-variant-wrong-for-accelerator", "error",
      decides_on=("the node's accelerator vendor", "the variant each framework wheel was built for (CPU, CUDA, ROCm, XPU)"))
def wheel_variant_wrong_for_accelerator(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """The framework wheel was built for another accelerator than this node has (or for none).

    A CPU-only torch on a GPU node imports fine and silently runs on the CPU;
    a ROCm build on an NVIDIA node (or the reverse) finds no device at all. The
    variant is the wheel's local version tag (``+cpu``, ``+cu124``, ``+rocm6.2``,
    ``+xpu``) or, without one, the release's default build on that platform.
    Install the variant for this node's accelerator from its wheel index.
    """
    vendors = [v for v in gpu_vendors(ctx.inventory) if v in _VENDOR_RUNTIME]
    if not vendors:
        return
    for env in ctx.inventory.python:
        for fw in env.frameworks:
            if norm(fw.name) not in ("torch", "jaxlib", "tensorflow", "paddlepaddle-gpu", "onnxruntime-gpu"):
                continue
            if not fw.runtime_kind:
                yield CannotDecide(f"Which accelerator {fw.name} {fw.version} was built for is unknown (no local version tag, "
                                   "and its release's default build is not in the matrices).",
                                   missing=[f"variant of {fw.name} {fw.version}"],
                                   settle=[f"--assume {fw.name}={fw.version.split('+')[0]}+cuXYZ (or +cpu, +rocmX.Y)",
                                           "a matrices refresh"],
                                   subject=f"{fw.name} in {env.prefix}")
                continue
            built_for = _RUNTIME_VENDOR.get(fw.runtime_kind)
            if built_for in vendors:
                continue
            what = "CPU only" if fw.runtime_kind == "cpu" else f"{fw.runtime_kind.upper()} {fw.runtime_version or ''}".strip()
            node = ", ".join(_VENDOR_RUNTIME[v] for v in vendors)
            yield Hit(
                f"{fw.name} {fw.version} is built for {what}, but this node's accelerator needs {node}; "
                f"{fw.name} will not use it.",
                subject=f"{fw.name} in {env.prefix}",
                evidence=[Evidence(f"{fw.name} variant", fw.variant or "release default", fw.variant_source or fw.source),
                          Evidence("accelerators", ", ".join(f"{a.vendor} {a.name}" for a in ctx.inventory.accelerators), "probes")],
                fixes=list(_variant_fixes(ctx, env, fw, vendors[0])),
            )


def _variant_fixes(ctx: RuleContext, env, fw, vendor: str):
    from accelctl.plan.rebuild import variant_fix_steps

    yield from variant_fix_steps(ctx, env, fw, vendor)


@rule("FW002", "jax-plugin-mismatch", "error", decides_on=("versions of jax, jaxlib and the CUDA plugin",))
def jax_plugin_mismatch(ctx: RuleContext) -> Iterator[Hit]:
    """jax, jaxlib and the CUDA plugin are not the same release.

    JAX's CUDA support ships as ``jax-cudaNN-plugin`` plus ``jax-cudaNN-pjrt``,
    released in lockstep with ``jaxlib``: the ``jax[cudaNN]`` extra pins all of
    them to the jax version. A plugin from another release is not loaded (JAX
    falls back to the CPU) or fails at start-up. Reinstall them together.
    """
    for env in ctx.inventory.python:
        installed = dists(env)
        jaxlib = installed.get("jaxlib")
        jax = installed.get("jax")
        if jaxlib is None:
            continue
        for major in ("12", "13"):
            for part in ("plugin", "pjrt"):
                d = installed.get(f"jax-cuda{major}-{part}")
                if d is None or d.version == jaxlib.version:
                    continue
                target = jax.version if jax else jaxlib.version
                yield Hit(
                    f"{d.name} {d.version} does not match jaxlib {jaxlib.version}" + (f" (jax {jax.version})" if jax else "") + ".",
                    subject=f"jax in {env.prefix}",
                    evidence=[Evidence("jaxlib", jaxlib.version, jaxlib.location or ""), Evidence(d.name, d.version, d.location or "")],
                    fixes=[FixStep(f"Reinstall jax with its CUDA {major} plugin at one version",
                                   commands=[pip(env, "install", f"jax[cuda{major}]=={target}")],
                                   why="jaxlib and its CUDA plugin are built and released together",
                                   risks=["changes-environment", "downloads"], verify=_jax_devices(env))],
                )


def _jax_devices(env) -> str:
    from accelctl.plan.install import framework_check

    return framework_check(env, "jax")


@rule("FW003", "accelerator-requirement-conflict", "error",
      decides_on=("Requires-Dist of the accelerator packages", "installed versions"))
def accelerator_requirement_conflict(ctx: RuleContext) -> Iterator[Hit]:
    """An installed accelerator package requires another version of a package than the one installed.

    A focused ``pip check`` over the packages that decide whether GPU code runs:
    torchvision/torchaudio pin the exact torch they were built with; vllm,
    xformers and flash-attn are compiled against one torch; jax pins jaxlib.
    A mismatch shows up as undefined symbols at import or operators missing at
    run time. (Pins on NVIDIA library wheels are checked by LIB001.)
    """
    for env in ctx.inventory.python:
        installed = dists(env)
        for dist in env.distributions:
            if norm(dist.name) not in ACCELERATOR_PACKAGES:
                continue
            for line in dist.requires:
                if requirement_name(line) not in ACCELERATOR_PACKAGES:
                    continue  # most requirements are not accelerator packages: skip parsing them
                req = requirement(line)
                if req is None or "extra" in str(req.marker or "") or not applies(req, env, ctx.inventory):
                    continue
                target = norm(req.name)
                if target not in ACCELERATOR_PACKAGES or not req.specifier:
                    continue
                have = installed.get(target)
                if have is None or req.specifier.contains(have.version, prereleases=True):
                    continue
                yield Hit(
                    f"{dist.name} {dist.version} requires {req.name}{req.specifier}, but {have.name} {have.version} is installed.",
                    subject=f"{dist.name} in {env.prefix}",
                    evidence=[Evidence(f"{dist.name} Requires-Dist", str(req), dist.location or ""),
                              Evidence(f"installed {have.name}", have.version, have.location or "")],
                    fixes=_conflict_fixes(ctx, env, dist, req, have),
                )


def _conflict_fixes(ctx: RuleContext, env, dist, req, have) -> list[FixStep]:
    """Make ``dist`` and the ``have`` it requires agree; for a torch companion, move the companion, not torch.

    torchvision and torchaudio are built for one torch release and pin it exactly, and a
    local-version build (``+cu124``) exists only on PyTorch's index of that variant; the
    release paired with the installed torch comes from the torch_companions matrix.
    """
    from accelctl.matrices.subjects.torch_companions import companions_for
    from accelctl.plan.install import Want, framework_check, install_command, want

    verify = framework_check(env, dist.name)
    local = have.version.split("+", 1)[1] if "+" in have.version else ""
    keep_have = want(ctx.matrices, have.name, have.version)
    companion = norm(dist.name) in ("torchvision", "torchaudio") and norm(have.name) == "torch"
    if companion:
        paired = companions_for(ctx.matrices.entries_or_empty("torch_companions"), have.version)
        versions = getattr(paired, norm(dist.name), None) or [] if paired else []
        move = (want(ctx.matrices, dist.name, versions[0] + (f"+{local}" if local else "")) if versions
                else Want(dist.name, keep_have.index))
    else:
        move = Want(dist.name, keep_have.index)
    required = str(req.specifier)
    dist_local = dist.version.split("+", 1)[1] if "+" in dist.version else ""
    if required.startswith("==") and "+" not in required and dist_local and norm(req.name) == "torch":
        target = want(ctx.matrices, req.name, required[2:] + f"+{dist_local}")
    else:
        target = Want(f"{req.name}{req.specifier}")
    to_required = FixStep(f"Install the {req.name} that {dist.name} {dist.version} was built for",
                          commands=[install_command(env, [target])],
                          why=f"{dist.name} {dist.version} is compiled against it",
                          risks=["changes-environment", "downloads"], verify=verify,
                          alternative=f"change {have.name}" if companion else None, recommended=not companion)
    to_have = FixStep(f"{'Or i' if not companion else 'I'}nstall {dist.name} {move.requirement.partition('==')[2] or ''} "
                      f"built for {have.name} {have.version}".replace("  ", " "),
                      commands=[install_command(env, [move, keep_have])],
                      why=f"keeps {have.name} {have.version}" + ("; the torch_companions matrix pairs them" if companion and "==" in move.requirement
                                                                else f"; the installer picks a {dist.name} release whose requirement it satisfies"),
                      alternative=f"keep {have.name} {have.version}", recommended=companion,
                      risks=["changes-environment", "downloads"], verify=verify)
    return [to_have, to_required] if companion else [to_required, to_have]


_TENSORFLOW_GPU = ("tensorflow", "tensorflow-gpu", "tf-nightly")
_JAX_PLUGIN = re.compile(r"^jax-cuda(\d+)-plugin$")


@rule("FW004", "cudnn-older-than-build", "error",
      decides_on=("cuDNN TensorFlow or JAX was built with", "version of the cuDNN it will load"))
def cudnn_older_than_build(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """The cuDNN TensorFlow or JAX will load is older than the one it was built with (or is missing).

    TensorFlow and JAX (through XLA) compare the cuDNN they load with the one
    they were compiled against and refuse another major version or an older
    minor ("Loaded runtime CuDNN library: 9.1.0 but source was compiled with:
    9.3.0"): every DNN operation then fails. With no cuDNN of that major at all
    they cannot use the GPU. JAX's CUDA plugin and TensorFlow 2.14+ use the
    ``nvidia-cudnn-cuNN`` wheel of their environment when it is installed
    (``jax[cudaNN]``, ``tensorflow[and-cuda]``); otherwise they load a system
    copy. Install the wheels they were released with, or a system cuDNN of the
    same major and at least that minor.

    For JAX the floor is what its CUDA plugin requires (the ``nvidia-cudnn``
    pin of its ``with-cuda`` extra, which the plugin also checks at start-up:
    "Minimum supported: 9100"), not the documented build version: jax 0.6.0
    to 0.7.0 were documented as built with cuDNN 9.1 but require 9.8.
    """
    for env in ctx.inventory.python:
        installed = dists(env)
        for fw in env.frameworks:
            if fw.runtime_kind != "cuda" or not fw.runtime_version:
                continue
            cuda_major = fw.runtime_version.split(".", 1)[0]
            built_and_fix = _cudnn_build(fw, cuda_major, ctx.matrices)
            if built_and_fix is None:
                continue
            subject = f"{fw.name} in {env.prefix}"
            built, uses_wheels, wheel_install = built_and_fix
            need = _major_minor(built)
            if need is None:
                if ctx.inventory.nvidia.present:
                    yield CannotDecide(f"The cuDNN {fw.name} {fw.version} was built with is not in the matrices.",
                                       missing=[f"cuDNN version {fw.name} {fw.version} was built with"],
                                       settle=["a matrices refresh (tensorflow / jax)"], subject=subject)
                continue
            wheel_name = f"nvidia-cudnn-cu{cuda_major}"
            found = _cudnn_loaded(ctx, installed.get(wheel_name) if uses_wheels else None, need[0])
            if found is not None and found[0] is not None and found[0][0] == need[0] and found[0][1] >= need[1]:
                continue
            if found is None and not ctx.inventory.nvidia.present:
                continue  # no NVIDIA stack here at all: FW001 / GEN rules speak about that
            if found is not None and found[0] is None:
                yield CannotDecide(f"{fw.name} {fw.version} needs cuDNN {built}; the version of the cuDNN it will "
                                   f"load ({found[1]}) is unknown.", missing=[f"version of the cuDNN at {found[1]}"],
                                   settle=["check its cudnn_version.h or the libcudnn.so.<version> file name"],
                                   subject=subject)
                continue
            fixes = list(_cudnn_fixes(env, built, cuda_major, wheel_install))
            needs = "was built with" if norm(fw.name) in _TENSORFLOW_GPU else "requires"
            built_from = "tensorflow matrix (tested build configurations)" if wheel_install.startswith("tensorflow") \
                else "the plugin's Requires-Dist on nvidia-cudnn (its with-cuda extra)"
            if found is None:
                yield Hit(f"{fw.name} {fw.version} {needs} cuDNN {built}, but no cuDNN {need[0]} was found "
                          f"({wheel_name} is not installed and no system copy is on the loader's path): it cannot use "
                          "the GPU and will run on the CPU.",
                          subject=f"{fw.name} in {env.prefix}",
                          evidence=[Evidence("built with cuDNN", built, built_from),
                                    Evidence("cuDNN found", "none", "dist-info, linker cache, LD_LIBRARY_PATH, standard folders")],
                          fixes=fixes)
                continue
            version, where = found
            shown = ".".join(str(x) for x in version) if version else "unknown"
            yield Hit(f"{fw.name} {fw.version} {needs} cuDNN {built}, but the cuDNN it will load is {shown} "
                      f"({where}): it needs the same major version and an equal or newer minor, so every DNN "
                      "operation fails.",
                      subject=f"{fw.name} in {env.prefix}",
                      evidence=[Evidence("built with cuDNN", built, built_from),
                                Evidence("cuDNN it loads", f"{shown} at {where}", "dist-info / library scan")],
                      fixes=fixes)


def _cudnn_build(fw, cuda_major: str, matrices):
    """(cuDNN it was built with, whether it uses the environment's cuDNN wheel, the pip requirement that
    installs the matching wheels or "") for TensorFlow and JAX's CUDA plugin; None for anything else.

    Each matrix is loaded only when a framework it describes is there."""
    name = norm(fw.name)
    if name in _TENSORFLOW_GPU:
        from accelctl.matrices.subjects import tensorflow as tf_matrix

        tf_entries = matrices.entries_or_empty("tensorflow")
        version = fw.version.split("+", 1)[0]
        built = tf_matrix.cudnn_for(tf_entries, version)
        mm = _major_minor(version)
        install = f"{fw.name}[and-cuda]=={version}" if tf_matrix.and_cuda_pins(tf_entries, version) else ""
        return built or "", mm is not None and mm >= (2, 14), install  # "": not in the matrix (undecided)
    m = _JAX_PLUGIN.match(name)
    if m and m.group(1) == cuda_major:
        from accelctl.matrices.subjects import jax as jax_matrix

        jax_version = fw.related.get("jax") or fw.version
        stack = jax_matrix.plugin_pins(matrices.entries_or_empty("jax"), jax_version, int(cuda_major))
        # The floor the plugin's with-cuda extra puts on nvidia-cudnn is what the plugin checks at start-up
        # ("Minimum supported: 9100"): jax 0.6.0-0.7.0 require 9.8 while the documented build is 9.1.
        floor = _floor(fw.extra_pins.get(f"nvidia-cudnn-cu{cuda_major}")) or _floor(stack.cudnn if stack else None)
        built = floor or (stack.built_with_cudnn if stack is not None else None)
        return built or "", True, f"jax[cuda{cuda_major}]=={jax_version}"  # "": not in the matrix (undecided)
    return None


def _floor(spec: str | None) -> str | None:
    """">=9.8,<10.0" -> "9.8" (the lower bound of a requirement), None without one."""
    for part in (spec or "").split(","):
        part = part.strip()
        if part.startswith((">=", "==", "~=")):
            return part[2:].strip() or None
    return None


def _major_minor(text: str | None):
    return loader_view.major_minor(text)


def _cudnn_loaded(ctx: RuleContext, wheel, major: int):
    """((major, minor) or None, where) of the cuDNN a framework loads; None when there is no copy of ``major``.

    The environment's cuDNN wheel when the framework looks there, else the
    first copy of that major the loader finds (``loader_view.system_copy``).
    """
    if wheel is not None:
        mm = _major_minor(wheel.version)
        if mm is not None and mm[0] == major:
            return mm, f"{wheel.name} {wheel.version} in this environment"
    lib = loader_view.system_copy(ctx, "cudnn", major)
    return (loader_view.copy_version(lib), lib.path) if lib is not None else None


def _cudnn_fixes(env, built: str, cuda_major: str, wheel_install: str):
    import shlex

    probe = ("import tensorflow as tf; print(tf.config.list_physical_devices('GPU'))" if wheel_install.startswith("tensorflow")
             else "import jax; print(jax.devices())")
    verify = f"{shlex.quote(env.interpreter)} -c {shlex.quote(probe)}"
    if wheel_install:
        yield FixStep(f"Install the CUDA libraries {wheel_install.split('[')[0]} was released with",
                      commands=[pip(env, "install", wheel_install)],
                      why="the extra installs the nvidia-cudnn wheel the framework finds by itself",
                      risks=["changes-environment", "downloads"], verify=verify,
                      alternative="cuDNN wheel", recommended=True)
    yield FixStep(f"Install a system cuDNN {built.split('.')[0]}.x (at least {built}) for CUDA {cuda_major}",
                  why="without a cuDNN wheel the framework loads a system copy: install one from NVIDIA's cuDNN packages "
                      "or archive (https://developer.nvidia.com/cudnn-archive) and put its folder first on the loader path",
                  risks=["needs-root", "downloads"], verify=verify,
                  alternative="system cuDNN" if wheel_install else None, recommended=not wheel_install)
