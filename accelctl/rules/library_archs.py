"""The cuDNN and cuBLAS a framework loads must still support the GPU's architecture."""

from __future__ import annotations

import re
from collections.abc import Iterator

from accelctl.findings import Evidence, FixStep
from accelctl.inventory.python_env import FrameworkInfo, PythonEnvironment
from accelctl.rules.base import CannotDecide, Hit, RuleContext, rule
from accelctl.rules.facts import dists, norm

_LIBRARIES = ("cudnn", "cublas")
_NAMES = {"cudnn": "cuDNN", "cublas": "cuBLAS"}


@rule("LIB005", "library-drops-gpu-arch", "error",
      decides_on=("compute capability of each NVIDIA GPU", "version of the cuDNN and cuBLAS each framework loads"))
def library_drops_gpu_arch(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """The cuDNN or cuBLAS a framework loads no longer supports the GPU's architecture.

    cuDNN and cuBLAS carry kernels for the architectures NVIDIA supports in that
    release only, and NVIDIA removes old ones: cuDNN 8.9 lists compute capability
    5.0 (Maxwell) and up, no Kepler; cuDNN 9.17 lists 7.5 (Turing) and up, no Volta,
    Pascal or Maxwell, in both its CUDA 12 and CUDA 13 builds; every CUDA 13 library,
    cuBLAS 13 included, supports 7.5 and up. Such a library on an older GPU loads,
    and then fails at its first call: "cuDNN error: CUDNN_STATUS_ARCH_MISMATCH",
    "CUBLAS_STATUS_ARCH_MISMATCH", or "no kernel image is available". It happens after an upgrade that brings a newer
    cuDNN wheel or a CUDA 13 build onto a GTX 10xx, a P100 or a V100. The version
    checked is the copy the loader resolves for the framework (a copy on
    ``LD_LIBRARY_PATH`` included), else the installed ``nvidia-cudnn``/``nvidia-cublas``
    wheel. A release between two that NVIDIA's tables record is bounded by them; where
    the bounds do not decide for this GPU, the check is undecided. A release newer than
    every recorded one of its major keeps the newest recorded floor (NVIDIA announces
    removals in the support matrices the table is read from).

    Fix: install a build of the framework whose pinned cuDNN and CUDA major still
    support the GPU (for torch, a CUDA 12.6 build keeps Maxwell to Volta), or keep the
    cuDNN wheel at the newest release that supports it; on CUDA 13 there is none for
    compute capability below 7.5.

    References: https://docs.nvidia.com/deeplearning/cudnn/latest/support-matrix/index.html ,
    https://docs.nvidia.com/deeplearning/cudnn/archives/cudnn-891/support-matrix/index.html ,
    https://developer.nvidia.com/blog/navigating-gpu-architecture-support-a-guide-for-nvidia-cuda-developers ,
    https://github.com/dailenson/SDT/issues/25 , https://github.com/Quansight/open-gpu-server/issues/69
    """
    gpus = ctx.inventory.nvidia.gpus
    if not ctx.inventory.nvidia.present or not gpus:
        return

    table = ctx.matrices.entries_or_empty("cudnn_support")
    unknown_cc = [f"GPU {g.index} ({g.name})" for g in gpus if not g.compute_capability]
    known = [g for g in gpus if g.compute_capability]
    for env in ctx.inventory.python:
        cuda_frameworks = [fw for fw in env.frameworks if fw.runtime_kind == "cuda"]
        if not cuda_frameworks:
            continue
        # the environment's copies are one subject: its frameworks share the wheels (torch, torchvision, jaxlib ...)
        main = next((fw for fw in cuda_frameworks if norm(fw.name) in ("torch", "jaxlib", "tensorflow")), cuda_frameworks[0])
        subject = env.prefix or env.interpreter
        copies = _env_copies(ctx, env, cuda_frameworks)
        if copies and unknown_cc:
            yield CannotDecide(f"The compute capability of {', '.join(unknown_cc)} is unknown: whether the "
                               f"{' and '.join(sorted({_NAMES[c[0]] for c in copies}))} of {subject} support it "
                               "cannot be told.",
                               missing=[f"compute capability of {g}" for g in unknown_cc],
                               settle=["--assume cc=X.Y"], subject=subject)
        for library, version, cuda_major, where, users in copies:
            yield from _check_copy(ctx, table, env, main, users, library, version, cuda_major, where, known, subject)


def _env_copies(ctx: RuleContext, env: PythonEnvironment,
                frameworks: list[FrameworkInfo]) -> list[tuple[str, str | None, int | None, str, str]]:
    """(library, version, CUDA major, where, who loads it) of each distinct copy the environment's frameworks load."""
    found: dict[tuple[str, str | None, str], tuple[int | None, list[str]]] = {}
    for fw in frameworks:
        for library in _LIBRARIES:
            copy = _loaded_copy(ctx, env, fw, library)
            if copy is not None:
                version, major, where = copy
                found.setdefault((library, version, where), (major, []))[1].append(fw.name)
    return [(lib, version, major, where, ", ".join(users)) for (lib, version, where), (major, users) in found.items()]


def _check_copy(ctx: RuleContext, table: list, env: PythonEnvironment, fw: FrameworkInfo, users: str, library: str,
                version: str | None, cuda_major: int | None, where: str, gpus: list,
                subject: str) -> Iterator[Hit | CannotDecide]:
    from accelctl.matrices.subjects import cudnn_support

    name = _NAMES[library]
    if not gpus:
        return
    if version is None:
        yield CannotDecide(f"The {name} {users} loads from {where} has no known version: whether it supports "
                           "the GPU cannot be told.", missing=[f"{name} version of {where}"],
                           settle=["run the doctor where the library's version header or file name is readable"],
                           subject=subject)
        return
    bounds = cudnn_support.floor(table, library, version, cuda_major)
    verdicts = [(g, cudnn_support.supports(bounds, g.compute_capability) if bounds else None) for g in gpus]
    failing = [g for g, v in verdicts if v is False]
    if failing:
        assert bounds is not None
        gpu = failing[0]
        labels = ", ".join(f"GPU {g.index} ({g.name}, {g.compute_capability})" for g in failing)
        yield Hit(
            f"{name} {version}, which {users} loads, does not support {labels}: its lowest compute capability is "
            f"{bounds.low}; the first {name} call fails with an architecture mismatch.",
            subject=subject,
            evidence=[Evidence(f"{name} loaded", f"{version} ({where})", "loader search / dist-info"),
                      *[Evidence(f"GPU {g.index} ({g.name}) compute capability", g.compute_capability,
                                 g.source or "NVML") for g in failing],
                      Evidence(f"lowest compute capability of {name} {version}", bounds.low or "",
                               "cudnn_support matrix (" + bounds.basis + "): "
                               + ", ".join(s for e in bounds.entries for s in e.provenance.source[:1]))],
            fixes=list(_fixes(ctx, env, fw, library, cuda_major, gpu.compute_capability)))
        return
    open_gpus = [g for g, v in verdicts if v is None]
    if open_gpus:
        ccs = ", ".join(sorted({g.compute_capability for g in open_gpus}))
        yield CannotDecide(f"Whether {name} {version} ({users}) supports compute capability {ccs} is not recorded: "
                           + (bounds.basis if bounds else "its version cannot be read") + ".",
                           missing=[f"lowest compute capability {name} {version} supports"],
                           settle=["a matrices refresh (cudnn_support)"], subject=subject)


def _loaded_copy(ctx: RuleContext, env: PythonEnvironment, fw: FrameworkInfo,
                 library: str) -> tuple[str | None, int | None, str] | None:
    """(version, CUDA major, where) of the copy of ``library`` the framework loads; None when it loads none known."""
    for res in ctx.inventory.nvidia.resolutions:
        if res.consumer == fw.name and res.library == library and res.resolved_path:
            wheel = _wheel(env, library)
            # the wheel's copy is of the wheel's CUDA major; another copy's CUDA build is not known (None: any)
            major = _cuda_major(wheel[0]) if wheel and res.resolved_path == res.expected_path else None
            return _public(res.resolved_version), major, res.resolved_path
    wheel = _wheel(env, library)
    if wheel is None:
        return None
    name, version = wheel
    # the unsuffixed CUDA 13 wheel's own major is its CUDA major (nvidia-cublas 13.1.0.3)
    own = int(version.split(".", 1)[0]) if norm(name) == "nvidia-cublas" and version.split(".", 1)[0].isdigit() else None
    return _public(version), _cuda_major(name) or own or _fw_major(fw), f"{name} {version}"


def _wheel(env: PythonEnvironment, library: str) -> tuple[str, str] | None:
    for key, dist in sorted(dists(env).items()):
        if key == f"nvidia-{library}" or key.startswith(f"nvidia-{library}-cu"):
            return dist.name, dist.version
    return None


_CU_SUFFIX = re.compile(r"-cu(\d+)$")


def _cuda_major(wheel: str) -> int | None:
    """'nvidia-cudnn-cu12' -> 12; None for a name without a CUDA-major suffix (nvidia-cublas, the CUDA 13 name)."""
    m = _CU_SUFFIX.search(norm(wheel))
    return int(m.group(1)) if m else None


def _fw_major(fw: FrameworkInfo) -> int | None:
    head = (fw.runtime_version or "").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _public(version: str | None) -> str | None:
    return version.split("+", 1)[0] if version else None


def _fixes(ctx: RuleContext, env: PythonEnvironment, fw: FrameworkInfo, library: str, cuda_major: int | None,
           cc: str) -> Iterator[FixStep]:
    from accelctl.plan.install import Want, framework_check, install_command, want

    if norm(fw.name) == "torch":
        build = _torch_build_for(ctx, cc)
        if build is not None:
            version = f"{build.torch}+{build.variant}"
            yield FixStep(f"Install torch {version}, whose CUDA {build.runtime_version} build and pinned libraries "
                          f"support compute capability {cc}",
                          commands=[install_command(env, [want(ctx.matrices, "torch", version)])],
                          why=f"its kernels include this GPU and its pinned {_NAMES[library]} still supports it",
                          risks=["changes-environment", "downloads"], verify=framework_check(env, "torch"),
                          alternative="another torch build", recommended=True)
    if library != "cudnn" or cuda_major is None:
        return
    from accelctl.matrices.subjects import cudnn_support

    newest = cudnn_support.newest_supporting(ctx.matrices.entries_or_empty("cudnn_support"), "cudnn", cuda_major, cc)
    if newest is None:
        return
    wheel = f"nvidia-cudnn-cu{cuda_major}"
    yield FixStep(f"Or pin {wheel} to {newest.version}, the newest release recorded to support compute capability {cc}",
                  commands=[install_command(env, [Want(f"{wheel}=={newest.version}.*")])],
                  why=f"cuDNN {newest.version} for CUDA {cuda_major} lists compute capability {newest.min_cc} and up; "
                      f"{fw.name} accepts it only if it was built against that cuDNN minor or an older one",
                  risks=["changes-environment", "downloads"], verify=framework_check(env, fw.name),
                  alternative="older cuDNN", recommended=False)


def _torch_build_for(ctx: RuleContext, cc: str):
    """The newest torch CUDA build whose kernels and pinned cuDNN both support ``cc`` and the driver can run."""
    from packaging.version import Version

    from accelctl.matrices.subjects import cudnn_support, pytorch

    table = ctx.matrices.entries_or_empty("cudnn_support")
    driver = ctx.inventory.nvidia.driver
    limit = driver.cuda_driver_version if driver else None
    best = None
    for build in ctx.matrices.entries_or_empty("pytorch"):
        if build.runtime_kind != "cuda" or not build.runtime_version or not pytorch.supports_cc(build, cc):
            continue
        if limit and Version(build.runtime_version) > Version(limit):
            continue
        pins = {norm(k): v for k, v in (build.pins or {}).items()}
        cudnn = next(((k, v) for k, v in pins.items() if k.startswith("nvidia-cudnn-cu")), None)
        if cudnn is None:
            continue
        bounds = cudnn_support.floor(table, "cudnn", cudnn[1].lstrip("=~"), _cuda_major(cudnn[0]))
        if bounds is None or cudnn_support.supports(bounds, cc) is not True:
            continue
        if best is None or Version(build.torch) > Version(best.torch):
            best = build
    return best
