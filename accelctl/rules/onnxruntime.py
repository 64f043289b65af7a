"""onnxruntime-gpu: the CUDA runtime, cuBLAS and cuDNN its build needs, against what the loader finds."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from packaging.version import InvalidVersion

from accelctl.findings import Evidence, FixStep
from accelctl.rules import loader_view
from accelctl.rules.base import CannotDecide, Hit, RuleContext, rule
from accelctl.rules.facts import dists, norm, pip, public

_NAME = "onnxruntime-gpu"


@rule("FW005", "onnxruntime-gpu-cuda-libraries-missing", "error",
      decides_on=("CUDA and cuDNN majors the onnxruntime-gpu build needs",
                  "copies of libcudart, libcublas and libcudnn the loader finds"))
def onnxruntime_gpu_libraries(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """onnxruntime-gpu's CUDA execution provider cannot find the CUDA or cuDNN libraries its build needs.

    onnxruntime-gpu does not carry CUDA: its provider library
    (``libonnxruntime_providers_cuda.so``) asks the loader for the CUDA runtime,
    cuBLAS and cuDNN of the majors it was built with (``libcudart.so.11.0`` and
    ``libcudnn.so.8`` for the CUDA 11 builds, ``libcudart.so.12`` and
    ``libcudnn.so.9`` for 1.19 and later on PyPI). When one is missing, creating
    a session logs "Failed to load library libonnxruntime_providers_cuda.so ...
    cannot open shared object file" and silently runs on the CPU. A cuDNN 8 build
    does not load cuDNN 9 and the reverse. ``nvidia-*`` wheels in the environment
    are not on the loader's path: onnxruntime uses them only after
    ``onnxruntime.preload_dlls()`` (1.21 and later) or after ``import torch``
    has loaded the same majors. Without pins in its metadata (before 1.21) the
    build is taken to be the one PyPI serves for that release (onnxruntime's own
    package feed has builds for another CUDA major under the same version).

    Fix: install ``onnxruntime-gpu[cuda,cudnn]`` (1.21 and later) and call
    ``onnxruntime.preload_dlls()`` before creating the session; or install the
    onnxruntime-gpu release built for the CUDA and cuDNN this node has; or
    install that CUDA runtime and cuDNN system-wide.

    References: https://onnxruntime.ai/docs/execution-providers/CUDA-ExecutionProvider.html#requirements ,
    https://github.com/microsoft/onnxruntime/issues/19616 ,
    https://github.com/microsoft/onnxruntime/issues/25609
    """
    if not ctx.inventory.nvidia.present:
        return
    for env in ctx.inventory.python:
        dist = dists(env).get(_NAME)
        if dist is None:
            continue
        from accelctl.matrices.subjects import onnxruntime_gpu as ort_matrix

        entries = ctx.matrices.entries_or_empty("onnxruntime_gpu")  # read only where onnxruntime-gpu is installed
        version = public(dist.version)
        subject = f"{_NAME} in {env.prefix}"
        try:
            release = ort_matrix.release(entries, version)
            cudnn_major = ort_matrix.cudnn_major(entries, version)
        except InvalidVersion:
            release, cudnn_major = None, None
        fw = next((f for f in env.frameworks if norm(f.name) == _NAME), None)
        cuda_major = _cuda_major(fw, release)
        if cuda_major is None:
            yield CannotDecide(f"Which CUDA major {_NAME} {dist.version} was built for is unknown (no pins in its "
                               "metadata, and its release is not in the matrices).",
                               missing=[f"CUDA major of {_NAME} {dist.version}"], settle=["a matrices refresh (onnxruntime_gpu)"],
                               subject=subject)
            continue
        needs = [("cudart", cuda_major, cuda_major), ("cublas", cuda_major, cuda_major)]
        if cudnn_major is not None:
            needs.append(("cudnn", cudnn_major, cuda_major))
        found, wheel_only, missing = _look_up(ctx, env, needs)
        if missing and loader_view.linker_cache_unread(ctx):
            yield CannotDecide(f"{_NAME} {version} needs {_names(missing)}; none was found, but the linker cache could "
                               "not be read, so a copy it lists may exist.", missing=["the linker cache (/etc/ld.so.cache)"],
                               settle=["run the doctor where /etc/ld.so.cache is readable"], subject=subject)
        elif missing:
            yield Hit(f"{_NAME} {version} (CUDA {cuda_major} build{_cudnn_text(cudnn_major)}) needs {_names(missing)}, "
                      "which the loader cannot find: its CUDA execution provider fails to load and every session "
                      "runs on the CPU.",
                      subject=subject, evidence=_evidence(release, cuda_major, cudnn_major, found, wheel_only, missing),
                      fixes=list(_fixes(ctx, env, entries, version, cuda_major, cudnn_major, wheel_only)))
        elif wheel_only:
            yield Hit(f"{_NAME} {version} finds {_names(wheel_only)} only in nvidia-* wheels of this environment, "
                      "which are not on the loader's path: the CUDA execution provider loads only after "
                      "onnxruntime.preload_dlls() (1.21 and later) or after import torch has loaded the same majors.",
                      subject=subject, severity="warning",
                      evidence=_evidence(release, cuda_major, cudnn_major, found, wheel_only, missing),
                      fixes=list(_fixes(ctx, env, entries, version, cuda_major, cudnn_major, wheel_only)))
        if cudnn_major is None:
            yield CannotDecide(f"Which cuDNN major {_NAME} {version} needs is not in the matrices (libcudnn.so.8 or .9).",
                               missing=[f"cuDNN major of {_NAME} {version}"], settle=["a matrices refresh (onnxruntime_gpu)"],
                               subject=subject)


Need = tuple[str, int, int]  # library, its soname major, the CUDA major its wheel is named for


def _cuda_major(fw, release) -> int | None:
    """The probe's answer (pins of its cuda extra, a local tag) first, else the PyPI build's major from the matrix."""
    if fw is not None and fw.runtime_kind == "cuda" and fw.runtime_version:
        head = fw.runtime_version.split(".", 1)[0]
        if head.isdigit():
            return int(head)
    return release.pypi_cuda_major if release is not None else None


def _look_up(ctx: RuleContext, env, needs: list[Need]):
    found: list[tuple[Need, str]] = []
    wheel_only: list[tuple[Need, str]] = []
    missing: list[tuple[Need, str]] = []
    for need in needs:
        library, major, cuda_major = need
        copy = loader_view.system_copy(ctx, library, major)
        if copy is not None:
            found.append((need, copy.path))
            continue
        wheel = loader_view.wheel_copy(env, library, cuda_major, major)
        if wheel is not None:
            wheel_only.append((need, f"{wheel.name} {wheel.version}"))
        else:
            missing.append((need, ""))
    return found, wheel_only, missing


def _names(items) -> str:
    return ", ".join(loader_view.soname(lib, major) for (lib, major, _), _where in items)


def _cudnn_text(cudnn_major: int | None) -> str:
    return f", cuDNN {cudnn_major}" if cudnn_major is not None else ""


def _evidence(release, cuda_major, cudnn_major, found, wheel_only, missing) -> list[Evidence]:
    source = "onnxruntime_gpu matrix" if release is not None else "its metadata"
    out = [Evidence("built for", f"CUDA {cuda_major}" + _cudnn_text(cudnn_major), source)]
    out += [Evidence(loader_view.soname(lib, major), where, "loader: LD_LIBRARY_PATH, linker cache, standard folders")
            for (lib, major, _), where in found]
    out += [Evidence(loader_view.soname(lib, major), f"only in {where}", "dist-info") for (lib, major, _), where in wheel_only]
    out += [Evidence(loader_view.soname(lib, major), "not found", "LD_LIBRARY_PATH, linker cache, standard folders, wheels")
            for (lib, major, _), _w in missing]
    return out


def _fixes(ctx: RuleContext, env, entries, version: str, cuda_major: int, cudnn_major: int | None, wheel_only):
    verify = f"{shlex.quote(env.interpreter)} -c " + shlex.quote("import onnxruntime as ort; ort.preload_dlls(verbose=True)")
    target = _release_with_extras(ctx, env, entries, version, cuda_major)
    if target is not None:
        yield FixStep(f"Install onnxruntime-gpu {target} with its CUDA and cuDNN wheels, and preload them",
                      commands=[pip(env, "install", f"{_NAME}[cuda,cudnn]=={target}")],
                      why="its cuda and cudnn extras install the nvidia-* wheels of its build; call "
                          "onnxruntime.preload_dlls() before creating the session so its CUDA provider finds them",
                      risks=["changes-environment", "downloads"], verify=verify,
                      alternative="nvidia wheels", recommended=True)
    elif wheel_only:
        folders = sorted({lib.path.rsplit("/", 1)[0] for lib in ctx.inventory.nvidia.libraries if lib.origin == "wheel"
                          and any(lib.path.startswith(s.rstrip("/") + "/") for s in env.site_packages)
                          and any(lib.name == n and (lib.soname or "").endswith(f".so.{m}") for (n, m, _), _w in wheel_only)})
        if folders:
            yield FixStep("Put the folders of the nvidia-* wheel libraries on the loader's path",
                          commands=[f"export LD_LIBRARY_PATH={':'.join(folders)}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}"],
                          why=f"onnxruntime-gpu {version} has no preload_dlls(); the loader then finds the wheel copies",
                          risks=["changes-environment"], verify="accelctl doctor --select FW005",
                          alternative="nvidia wheels", recommended=True)
    node = _release_for_node(ctx, env, entries)
    if node is not None and node != version:
        yield FixStep(f"Or install onnxruntime-gpu {node}, the release built for the CUDA and cuDNN this node has",
                      commands=[pip(env, "install", f"{_NAME}=={node}")],
                      why="its PyPI build needs the CUDA runtime, cuBLAS and cuDNN majors the loader finds here",
                      risks=["changes-environment", "downloads"], verify="accelctl doctor --select FW005",
                      alternative="match the node", recommended=target is None)
    cudnn = f" and cuDNN {cudnn_major}" if cudnn_major is not None else ""
    yield FixStep(f"Or install the CUDA {cuda_major} runtime and cuBLAS{cudnn} system-wide",
                  why="from NVIDIA's CUDA and cuDNN packages for this distribution; their folder must be in the linker "
                      "cache (ldconfig) or on LD_LIBRARY_PATH",
                  risks=["needs-root", "downloads"], verify="accelctl doctor --select FW005",
                  alternative="system libraries", recommended=False)


def _python_fits(release, env) -> bool:
    if not release.requires_python or not env.version:
        return True
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(release.requires_python).contains(env.version, prereleases=True)
    except InvalidSpecifier:
        return True


def _driver_cuda_major(ctx: RuleContext) -> int | None:
    drv = ctx.inventory.nvidia.driver
    head = ((drv.cuda_driver_version if drv else None) or "").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _release_with_extras(ctx: RuleContext, env, entries, version: str, cuda_major: int) -> str | None:
    """The onnxruntime-gpu release to install with its wheels: this one when it has the extras, else the newest
    one with extras of the same CUDA major (or, for a CUDA 11 build, of the newest major the driver runs)."""
    with_extras = [e for e in entries if not e.series and e.extras and _python_fits(e, env)]
    if any(e.onnxruntime == version for e in with_extras):
        return version
    driver_major = _driver_cuda_major(ctx)
    wanted = cuda_major if any(e.pypi_cuda_major == cuda_major for e in with_extras) else driver_major
    picks = [e for e in with_extras if e.pypi_cuda_major == wanted]
    return _newest(picks)


def _release_for_node(ctx: RuleContext, env, entries) -> str | None:
    """The newest release whose PyPI build needs exactly the CUDA runtime, cuBLAS and cuDNN majors found here."""
    from accelctl.matrices.subjects import onnxruntime_gpu as ort_matrix

    picks = []
    for e in entries:
        if e.series or e.pypi_cuda_major is None or not _python_fits(e, env):
            continue
        cudnn = ort_matrix.cudnn_major([e], e.onnxruntime)
        if cudnn is None:
            continue
        if all(loader_view.system_copy(ctx, lib, m) is not None
               for lib, m in (("cudart", e.pypi_cuda_major), ("cublas", e.pypi_cuda_major), ("cudnn", cudnn))):
            picks.append(e)
    return _newest(picks)


def _newest(picks) -> str | None:
    from packaging.version import Version

    return max(picks, key=lambda e: Version(e.onnxruntime)).onnxruntime if picks else None
