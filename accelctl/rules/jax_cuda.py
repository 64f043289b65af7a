"""Monolithic CUDA jaxlib builds (``jaxlib 0.4.x+cudaNN.cudnnMM``): the cuDNN their tag names must be found."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

from accelctl.findings import Evidence, FixStep
from accelctl.rules import loader_view
from accelctl.rules.base import CannotDecide, Hit, RuleContext, rule
from accelctl.rules.facts import dists, norm, pip

_TAG = re.compile(r"^cuda(\d+)(?:\.cudnn(\d)(\d+))?$")


@rule("FW006", "jaxlib-cuda-build-cudnn-too-old", "error",
      decides_on=("cuDNN the monolithic CUDA jaxlib requires", "version of the cuDNN it will load"))
def jaxlib_cuda_build_cudnn(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """A monolithic CUDA jaxlib will load an older cuDNN than it requires (or none).

    Before the CUDA plugins, jaxlib itself was the CUDA build and named it in
    its local version (``0.4.23+cuda12.cudnn89``): it needs a cuDNN of that
    major at that minor or newer, from the ``nvidia-cudnn-cuNN`` wheel of the
    ``cudaNN_pip`` extra or from the system. With an older one JAX prints "CUDA
    backend failed to initialize: Found cuDNN version 8600, but JAX was built
    against version 8906" and runs on the CPU. Such a jaxlib is a CUDA build,
    not a CPU one, even without a ``jax-cudaNN-plugin``. (JAX with its CUDA
    plugin is FW004's check.)

    Fix: install a cuDNN wheel of that major and at least that minor; or move
    to a release with the CUDA plugin (``jax[cuda12]``).

    References: https://github.com/MIT-REALM/gcbfplus/issues/1 ,
    https://github.com/jax-ml/jax/issues/15268 ,
    https://github.com/jax-ml/jax/issues/15742
    """
    for env in ctx.inventory.python:
        installed = dists(env)
        for fw in env.frameworks:
            if norm(fw.name) != "jaxlib" or fw.runtime_kind != "cuda" or any(
                    n.startswith("jax-cuda") for n in installed):
                continue
            tag = _TAG.match(fw.version.partition("+")[2])
            if tag is None:
                continue
            cuda_major = tag.group(1)[:2] if len(tag.group(1)) >= 3 else tag.group(1)
            subject = f"jaxlib in {env.prefix}"
            need = _required(ctx, fw.version, tag)
            if need is None:
                if ctx.inventory.nvidia.present:
                    yield CannotDecide(f"jaxlib {fw.version} does not name the cuDNN it was built with, and the matrices do "
                                       "not have it.", missing=[f"cuDNN jaxlib {fw.version} requires"],
                                       settle=["a matrices refresh (jax)"], subject=subject)
                continue
            wheel = installed.get(f"nvidia-cudnn-cu{cuda_major}")
            wheel_mm = loader_view.major_minor(wheel.version) if wheel is not None else None
            have: tuple[int, int] | None
            if wheel is not None and wheel_mm is not None and wheel_mm[0] == need[0]:
                have, where = wheel_mm, f"{wheel.name} {wheel.version} in this environment"
            else:
                copy = loader_view.system_copy(ctx, "cudnn", need[0])
                if copy is None:
                    if ctx.inventory.nvidia.present:
                        yield _hit(env, fw, need, cuda_major, None, "none found (no nvidia-cudnn wheel of that major, "
                                   "no copy on the loader's path)")
                    continue
                have, where = loader_view.copy_version(copy), copy.path
            if have is None:
                yield CannotDecide(f"jaxlib {fw.version} requires cuDNN {need[0]}.{need[1]}; the version of the cuDNN it "
                                   f"will load ({where}) is unknown.", missing=[f"version of the cuDNN at {where}"],
                                   settle=["check its cudnn_version.h or the libcudnn.so.<version> file name"],
                                   subject=subject)
            elif have[0] != need[0] or have < need:
                yield _hit(env, fw, need, cuda_major, have, where)


def _required(ctx: RuleContext, version: str, tag) -> tuple[int, int] | None:
    """The jax matrix's floor for this exact build (its cudaNN_pip extra's cuDNN pin), else the tag's cudnnMM."""
    for release in ctx.matrices.entries_or_empty("jax"):
        for stack in release.cuda:
            if stack.kind == "jaxlib-local" and stack.jaxlib == version and stack.cudnn:
                floor = stack.cudnn.split(",")[0].lstrip(">=~ ")
                mm = loader_view.major_minor(floor if "." in floor else None)
                if mm is not None:
                    return mm
    if tag.group(2):
        return int(tag.group(2)), int(tag.group(3))
    return None


def _hit(env, fw, need: tuple[int, int], cuda_major: str, have: tuple[int, int] | None, where: str) -> Hit:
    wanted = f"{need[0]}.{need[1]}"
    shown = f"{have[0]}.{have[1]}" if have else "no cuDNN"
    probe = shlex.quote(env.interpreter) + " -c " + shlex.quote("import jax; print(jax.devices())")
    return Hit(
        f"jaxlib {fw.version} is a CUDA {cuda_major} build that requires cuDNN {wanted} or a newer {need[0]}.x, "
        f"but it will load {shown} ({where}): JAX cannot initialise its CUDA backend and runs on the CPU.",
        subject=f"jaxlib in {env.prefix}",
        evidence=[Evidence("jaxlib build", fw.version, "local version tag (cudaNN.cudnnMM) / jax matrix"),
                  Evidence("cuDNN it loads", f"{shown} at {where}" if have else where, "dist-info / library scan")],
        fixes=_fixes(env, need, cuda_major, probe),
    )


def _fixes(env, need: tuple[int, int], cuda_major: str, probe: str) -> list[FixStep]:
    wanted = f"{need[0]}.{need[1]}"
    steps = [FixStep(f"Install a cuDNN {need[0]}.x wheel at {wanted} or newer",
                       commands=[pip(env, "install", f"nvidia-cudnn-cu{cuda_major}>={wanted},<{need[0] + 1}")],
                       why=f"jaxlib's cuda{cuda_major}_pip build finds the nvidia-cudnn wheel of its environment first",
                       risks=["changes-environment", "downloads"], verify=probe,
                       alternative="cuDNN wheel", recommended=True)]
    if cuda_major in ("12", "13"):
        steps.append(FixStep("Or move to a JAX release with the CUDA plugin and its pinned NVIDIA wheels",
                             commands=[pip(env, "install", "-U", f"jax[cuda{cuda_major}]")],
                             why=f"jax[cuda{cuda_major}] installs jaxlib, jax-cuda{cuda_major}-plugin and the nvidia-* "
                                 "wheels the plugin requires, at one release",
                             risks=["changes-environment", "downloads"], verify=probe,
                             alternative="upgrade jax", recommended=False))
    return steps
