"""Framework rules: the wheel's accelerator variant, and requirement conflicts between wheels."""

from __future__ import annotations

from typing import Iterator

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
