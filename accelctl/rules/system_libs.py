"""Frameworks that load the system's CUDA libraries: the sonames they ask for must be findable by the loader."""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterator

from accelctl.findings import Evidence, FixStep
from accelctl.rules import loader_view
from accelctl.rules.base import CannotDecide, Hit, RuleContext, rule
from accelctl.rules.facts import norm, pip, public

_TENSORFLOW = ("tensorflow", "tensorflow-gpu", "tf-nightly")


@rule("LIB004", "cuda-library-not-findable", "error",
      decides_on=("CUDA major the framework was built for", "copies of libcudart and libcublas the loader finds"))
def cuda_library_not_findable(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """A framework that loads the system's CUDA libraries cannot find one it needs.

    TensorFlow before 2.14 (and 2.14 and later without the ``[and-cuda]``
    wheels) and the CuPy wheels (``cupy-cuda11x``, ``cupy-cuda12x``, ...) do not
    carry the CUDA runtime or cuBLAS: they ask the loader for the sonames of the
    CUDA major they were built for (``libcudart.so.11.0``, ``libcublas.so.12``).
    When the loader cannot find one, TensorFlow logs "Could not load dynamic
    library 'libcudart.so.11.0'" and runs on the CPU; CuPy fails at its first
    cuBLAS call. A CUDA toolkit of another major does not help: the soname
    carries the major; CuPy's per-minor packages (``cupy-cuda117``) need that
    CUDA release exactly (the evidence and fix name the CUDA releases CuPy's
    install docs give for the package). (cuDNN for TensorFlow and JAX is FW004's check;
    onnxruntime-gpu is FW005's; torch wheels carry or pin their libraries.)

    Fix: install the framework's own NVIDIA wheels where it has them
    (``tensorflow[and-cuda]``, ``cupy-cudaNNx[ctk]``); otherwise install that
    CUDA major's runtime and cuBLAS and make their folder visible to the loader.

    References: https://github.com/tensorflow/tensorflow/issues/53362 ,
    https://github.com/tensorflow/tensorflow/issues/45930 ,
    https://docs.cupy.dev/en/stable/install.html
    """
    if not ctx.inventory.nvidia.present:
        return
    for env in ctx.inventory.python:
        for fw in env.frameworks:
            name = norm(fw.name)
            libraries: tuple[str, ...]
            if name in _TENSORFLOW and fw.runtime_kind == "cuda":
                libraries, uses_wheels = ("cudart", "cublas"), _tf_finds_wheels(fw)
            elif name.startswith("cupy-cuda") and fw.runtime_kind == "cuda":
                libraries, uses_wheels = ("cublas",), bool(fw.extra_pins)  # a ctk extra: CuPy looks for the wheels
            else:
                continue
            subject = f"{fw.name} in {env.prefix}"
            major = _cuda_major(fw)
            if major is None:
                yield CannotDecide(f"Which CUDA major {fw.name} {fw.version} was built for is unknown.",
                                   missing=[f"CUDA version of {fw.name} {fw.version}"],
                                   settle=["a matrices refresh (tensorflow)"], subject=subject)
                continue
            missing, found = [], []
            for library in libraries:
                copy = loader_view.system_copy(ctx, library, major)
                wheel = loader_view.wheel_copy(env, library, major) if uses_wheels else None
                if copy is not None or wheel is not None:
                    where = copy.path if copy is not None else f"{wheel.name} {wheel.version}"  # type: ignore[union-attr]
                    found.append(Evidence(loader_view.soname(library, major), where, "loader search / dist-info"))
                else:
                    missing.append(library)
            if not missing:
                continue
            sonames = ", ".join(loader_view.soname(lib, major) for lib in missing)
            if loader_view.linker_cache_unread(ctx):
                yield CannotDecide(f"{fw.name} {fw.version} needs {sonames}; no copy was found, but the linker cache "
                                   "could not be read, so a copy it lists may exist.",
                                   missing=["the linker cache (/etc/ld.so.cache)"],
                                   settle=["run the doctor where /etc/ld.so.cache is readable"], subject=subject)
                continue
            supported = _cupy_cuda_range(ctx, fw.name) if name.startswith("cupy-cuda") else None
            yield Hit(f"{fw.name} {fw.version} was built for CUDA {major} and needs {sonames}, which the loader "
                      "cannot find: " + ("it will run on the CPU." if name in _TENSORFLOW else "its CUDA calls fail."),
                      subject=subject,
                      evidence=[Evidence("built for", f"CUDA {fw.runtime_version}", fw.runtime_source or fw.source),
                                *([Evidence("CUDA releases it supports", supported, "cupy matrix (CuPy's install docs)")]
                                  if supported else []),
                                *found,
                                *[Evidence(loader_view.soname(lib, major), "not found",
                                           "LD_LIBRARY_PATH, linker cache, standard folders" + (", wheels" if uses_wheels else ""))
                                  for lib in missing]],
                      fixes=list(_fixes(ctx, env, fw, major, missing)))


def _cupy_cuda_range(ctx: RuleContext, package: str) -> str | None:
    """The CUDA releases a CuPy wheel package supports, in words ("12.0 to any later 12.x", "11.7 only")."""
    from accelctl.matrices.subjects import cupy as cupy_matrix

    found = cupy_matrix.cuda_for_cupy_package(ctx.matrices.entries_or_empty("cupy"), package)
    if found is None:
        return None
    low, high = found
    if high is None:
        return f"{low} to any later {low.split('.', 1)[0]}.x"
    return f"{low} only" if high == low else f"{low} to {high}"


def _cuda_major(fw) -> int | None:
    head = (fw.runtime_version or "").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _tf_finds_wheels(fw) -> bool:
    """TensorFlow 2.14 and later look for the nvidia-* wheels of its and-cuda extra (FW004 makes the same call)."""
    mm = loader_view.major_minor(public(fw.version))
    return mm is not None and mm >= (2, 14)


def _fixes(ctx: RuleContext, env, fw, major: int, missing: list[str]) -> Iterator[FixStep]:
    name = norm(fw.name)
    version = public(fw.version)
    if name in _TENSORFLOW:
        from accelctl.matrices.subjects import tensorflow as tf_matrix

        probe = "import tensorflow as tf; print(tf.config.list_physical_devices('GPU'))"
        verify = f"{shlex.quote(env.interpreter)} -c {shlex.quote(probe)}"
        if tf_matrix.and_cuda_pins(ctx.matrices.entries_or_empty("tensorflow"), version):
            yield FixStep(f"Install the CUDA wheels {fw.name} {version} was released with",
                          commands=[pip(env, "install", f"{fw.name}[and-cuda]=={version}")],
                          why="the and-cuda extra installs the nvidia-* wheels TensorFlow finds by itself",
                          risks=["changes-environment", "downloads"], verify=verify,
                          alternative="CUDA wheels", recommended=True)
        elif major in (11, 12) and env.site_packages:
            wheels = [loader_view.wheel_name(lib, major) for lib in missing]
            site = env.site_packages[0].rstrip("/")
            folders = ":".join(posixpath.join(site, "nvidia", {"cudart": "cuda_runtime"}.get(lib, lib), "lib") for lib in missing)
            yield FixStep(f"Install the CUDA {major} runtime libraries as wheels and put them on the loader's path",
                          commands=[pip(env, "install", *[f"{w}=={major}.*" for w in wheels]),
                                    f"export LD_LIBRARY_PATH={folders}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}"],
                          why=f"{fw.name} {version} does not search the nvidia-* wheels itself: LD_LIBRARY_PATH makes "
                              "the loader find them",
                          risks=["changes-environment", "downloads"], verify=verify,
                          alternative="CUDA wheels", recommended=True)
    elif fw.extra_pins:
        yield FixStep(f"Install the CUDA {major} libraries {fw.name} lists in its ctk extra",
                      commands=[pip(env, "install", f"{fw.name}[ctk]=={version}")],
                      why="the ctk extra installs the nvidia-* wheels CuPy looks for",
                      risks=["changes-environment", "downloads"],
                      verify=f"{shlex.quote(env.interpreter)} -c " + shlex.quote("import cupy; print(cupy.ones(2) @ cupy.ones(2))"),
                      alternative="CUDA wheels", recommended=True)
    supported = _cupy_cuda_range(ctx, fw.name) if name.startswith("cupy-cuda") else None
    # the per-minor CuPy packages (cupy-cuda117) were built for one CUDA release: name it, not only its major
    release = supported.removesuffix(" only") if supported and supported.endswith(" only") else str(major)
    yield FixStep(f"Or install the CUDA {release} toolkit's runtime libraries system-wide",
                  why="from NVIDIA's CUDA repository for this distribution (its CUDA runtime and cuBLAS packages of "
                      "that major) or the runfile; their folder must be in the linker cache (ldconfig) or on "
                      "LD_LIBRARY_PATH",
                  risks=["needs-root", "downloads"], verify="accelctl doctor --select LIB004",
                  alternative="system libraries", recommended=False)
