"""Framework rules: the wheel's accelerator variant, and requirement conflicts between wheels."""

from __future__ import annotations

from typing import Iterator, Optional

from accelctl.findings import Evidence, FixStep
from accelctl.rules.base import Hit, RuleContext, rule
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


@rule("FW001", "wheel-variant-wrong-for-accelerator", "error")
def wheel_variant_wrong_for_accelerator(ctx: RuleContext) -> Iterator[Hit]:
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
            if norm(fw.name) not in ("torch", "jaxlib", "tensorflow", "paddlepaddle-gpu", "onnxruntime-gpu") or not fw.runtime_kind:
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
    from accelctl.plan.fit import variant_fix_steps

    yield from variant_fix_steps(ctx, env, fw, vendor)


@rule("FW002", "jax-plugin-mismatch", "error")
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
                                   risks=["changes-environment", "downloads"], verify="accelctl doctor --select FW002")],
                )


@rule("FW003", "accelerator-requirement-conflict", "error")
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
                    fixes=[
                        FixStep(f"Install the {req.name} that {dist.name} {dist.version} was built for",
                                commands=[pip(env, "install", f"{req.name}{req.specifier}")],
                                why=f"{dist.name} {dist.version} is compiled against it",
                                risks=["changes-environment", "downloads"],
                                verify="accelctl doctor --select FW003"),
                        FixStep(f"Or install a {dist.name} release built for {have.name} {have.version}",
                                commands=[pip(env, "install", f"{dist.name}", f"{have.name}=={have.version}")],
                                why=f"keeps {have.name} {have.version}; pip picks a {dist.name} release whose requirement it satisfies",
                                alternative=f"keep {have.name} {have.version}", recommended=False,
                                risks=["changes-environment", "downloads"], verify="accelctl doctor --select FW003"),
                    ],
                )


_TENSORFLOW_GPU = ("tensorflow", "tensorflow-gpu", "tf-nightly")


@rule("FW004", "tensorflow-cudnn-older-than-build", "error")
def tensorflow_cudnn_older_than_build(ctx: RuleContext) -> Iterator[Hit]:
    """The cuDNN TensorFlow will load is older than the cuDNN it was built with (or is missing).

    TensorFlow compares the cuDNN it loads with the one it was compiled against
    and refuses a different major version or an older minor ("Loaded runtime
    CuDNN library: 9.1.0 but source was compiled with: 9.3.0"): every DNN op then
    fails. With no cuDNN of its major at all, it skips the GPU and runs on the
    CPU. From 2.14 TensorFlow finds the ``nvidia-cudnn-cuNN`` wheel that its
    ``and-cuda`` extra installs; otherwise it loads a system copy. Install the
    cuDNN wheel it was tested with (``tensorflow[and-cuda]``), or a system cuDNN
    of the same major and at least that minor.
    """
    from accelctl.matrices.subjects import tensorflow as tf_matrix

    entries = ctx.matrices.entries_or_empty("tensorflow")
    for env in ctx.inventory.python:
        installed = dists(env)
        for fw in env.frameworks:
            if norm(fw.name) not in _TENSORFLOW_GPU or fw.runtime_kind != "cuda" or not fw.runtime_version:
                continue
            tf_version = fw.version.split("+", 1)[0]
            built = tf_matrix.cudnn_for(entries, tf_version)
            need = _major_minor(built)
            cuda_major = fw.runtime_version.split(".", 1)[0]
            if need is None:
                continue
            wheel_name = f"nvidia-cudnn-cu{cuda_major}"
            wheel = installed.get(wheel_name)
            uses_wheels = _major_minor(tf_version) is not None and _major_minor(tf_version) >= (2, 14)
            found = _tensorflow_cudnn(ctx, wheel if uses_wheels else None, need[0])
            if found is not None and found[0] is not None and found[0][0] == need[0] and found[0][1] >= need[1]:
                continue
            if found is None and not ctx.inventory.nvidia.present:
                continue  # no NVIDIA stack here at all: FW001 / GEN rules speak about that
            fixes = list(_tensorflow_cudnn_fixes(ctx, env, fw, tf_version, built or "", cuda_major, entries))
            if found is None:
                yield Hit(f"{fw.name} {fw.version} was built with cuDNN {built}, but no cuDNN {need[0]} was found "
                          f"({wheel_name} is not installed and no system copy is on the loader's path): TensorFlow "
                          "will skip the GPU and run on the CPU.",
                          subject=f"{fw.name} in {env.prefix}",
                          evidence=[Evidence("built with cuDNN", built or "", "tensorflow matrix (tested build configurations)"),
                                    Evidence("cuDNN found", "none", "dist-info, linker cache, LD_LIBRARY_PATH, standard folders")],
                          fixes=fixes)
                continue
            version, where = found
            shown = ".".join(str(x) for x in version) if version else "unknown"
            yield Hit(f"{fw.name} {fw.version} was built with cuDNN {built}, but the cuDNN it will load is {shown} "
                      f"({where}): TensorFlow needs the same major version and an equal or newer minor, so every "
                      "DNN operation fails.",
                      subject=f"{fw.name} in {env.prefix}",
                      evidence=[Evidence("built with cuDNN", built or "", "tensorflow matrix (tested build configurations)"),
                                Evidence("cuDNN it loads", f"{shown} at {where}", "dist-info / library scan")],
                      fixes=fixes)


def _major_minor(text: Optional[str]):
    """"9.3" / "9.3.0.75" / "2.17.1" -> (9, 3); None when it does not start with two numbers."""
    if not text:
        return None
    parts = text.split(".")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].split("+")[0].isdigit():
        return None
    return int(parts[0]), int(parts[1].split("+")[0])


def _tensorflow_cudnn(ctx: RuleContext, wheel, major: int):
    """((major, minor) or None, where) of the cuDNN TensorFlow loads; None when there is no copy of ``major``.

    The environment's cuDNN wheel when TensorFlow looks there (2.14+), else the
    first system copy of that major: LD_LIBRARY_PATH folders in order, then the
    linker cache and the standard folders (the loader's order for a dlopen).
    """
    if wheel is not None:
        mm = _major_minor(wheel.version)
        if mm is not None and mm[0] == major:
            return mm, f"{wheel.name} {wheel.version} in this environment"
    ld_path = [f.rstrip("/") for f in ctx.inventory.env.get("LD_LIBRARY_PATH", "").split(":") if f.startswith("/")]
    copies = [lib for lib in ctx.inventory.nvidia.libraries
              if lib.name == "cudnn" and lib.origin in ("system", "toolkit", "conda")
              and (lib.soname or "").endswith(f".so.{major}")]

    def order(lib) -> int:
        folder = lib.path.rsplit("/", 1)[0]
        return ld_path.index(folder) if folder in ld_path else len(ld_path)

    for lib in sorted(copies, key=order):
        mm = _major_minor(lib.version or lib.header_version or lib.file_version)
        return mm, lib.path
    return None


def _tensorflow_cudnn_fixes(ctx: RuleContext, env, fw, tf_version: str, built: str, cuda_major: str, entries):
    import shlex

    from accelctl.matrices.subjects import tensorflow as tf_matrix

    verify = (f"{shlex.quote(env.interpreter)} -c "
              + shlex.quote("import tensorflow as tf; print(tf.config.list_physical_devices('GPU'))"))
    wheel_step = bool(tf_matrix.and_cuda_pins(entries, tf_version))
    if wheel_step:
        yield FixStep(f"Install the CUDA libraries TensorFlow {tf_version} was tested with",
                      commands=[pip(env, "install", f"{fw.name}[and-cuda]=={tf_version}")],
                      why="the and-cuda extra installs the nvidia-cudnn wheel TensorFlow finds by itself",
                      risks=["changes-environment", "downloads"], verify=verify,
                      alternative="cuDNN wheel", recommended=True)
    yield FixStep(f"Install a system cuDNN {built.split('.')[0]}.x (at least {built}) for CUDA {cuda_major}",
                  why="without a cuDNN wheel TensorFlow loads a system copy: install one from NVIDIA's cuDNN packages "
                      "or archive (https://developer.nvidia.com/cudnn-archive) and put its folder first on the loader path",
                  risks=["needs-root", "downloads"], verify=verify,
                  alternative="system cuDNN" if wheel_step else None, recommended=not wheel_step)
