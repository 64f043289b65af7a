"""FW005, LIB004, FW006: frameworks that load CUDA libraries the loader must find, rebuilt from public reports.

Each test rebuilds the reporter's setup with ``make_inventory`` from the facts the
report states; what it does not state is left at the builder's defaults and the
docstring says so. Reports read on 2026-12-05.
"""

from __future__ import annotations

import dataclasses

from accelctl.inventory.common import Unknown
from accelctl.inventory.nvidia import NativeLibrary
from accelctl.matrices import MatrixSet
from accelctl.rules import by_id, check_rules
from accelctl.rules.base import RuleContext, RuleOptions
from tests.builders import make_inventory

UNSTATED_GPU = ("GPU model not stated in the report", None)
SYSTEM = "/usr/lib/x86_64-linux-gnu"


def outcome(rule_id, inv):
    return check_rules(RuleContext(inv, MatrixSet(), RuleOptions()), [by_id()[rule_id]])


def with_libraries(inv, *specs):
    """Add copies the probe would list: (library, file name, folder, origin)."""
    libs = list(inv.nvidia.libraries)
    for library, file_name, folder, origin in specs:
        major = file_name.split(".so.")[1].split(".")[0]
        version = ".".join(file_name.split(".so.")[1].split(".")[:3]) if file_name.count(".") >= 4 else None
        libs.append(NativeLibrary(library, f"{folder}/{file_name}", version=version,
                                  soname=f"{file_name.split('.so.')[0]}.so.{major}", origin=origin, source="test"))
    return dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, libraries=libs))


def with_framework(inv, name, **changes):
    env = inv.python[0]
    fws = [dataclasses.replace(f, **changes) if f.name == name else f for f in env.frameworks]
    return dataclasses.replace(inv, python=[dataclasses.replace(env, frameworks=fws)])


# --- FW005 onnxruntime-gpu-cuda-libraries-missing ------------------------------------------------


def test_fw005_onnxruntime_1_17_cuda11_build_on_a_cuda_12_node():
    """https://github.com/microsoft/onnxruntime/issues/20656

    Facts: "install cuda 12.4, geforce ex 550.54.14, cudnn9-cuda-12-4 9.1.1.17-1",
    "onnxruntime-gpu 1.17.1", error "libcublas.so.11: cannot open shared object
    file". The PyPI 1.17 build is CUDA 11.8 / cuDNN 8 (onnxruntime_gpu matrix).
    The report's GPU (2080 Ti) has no compute capability here: not needed.
    """
    inv = make_inventory(driver="550.54.14", cuda_driver="12.4", gpus=[UNSTATED_GPU],
                         dists=[("onnxruntime-gpu", "1.17.1", [])], frameworks=("onnxruntime-gpu",))
    inv = with_libraries(inv, ("cudart", "libcudart.so.12.4.127", "/usr/local/cuda-12.4/targets/x86_64-linux/lib", "toolkit"),
                         ("cublas", "libcublas.so.12.4.5.8", "/usr/local/cuda-12.4/targets/x86_64-linux/lib", "toolkit"),
                         ("cudnn", "libcudnn.so.9.1.1", SYSTEM, "system"))
    [f] = outcome("FW005", inv).findings
    assert f.severity == "error"
    assert "needs libcudart.so.11.0, libcublas.so.11, libcudnn.so.8" in f.message and "runs on the CPU" in f.message
    match = [s for s in f.fixes if s.alternative == "match the node"]
    # the newest release whose PyPI build needs CUDA 12 and cuDNN 9, which are here
    assert match and match[0].commands == ["/venv/bin/python -m pip install onnxruntime-gpu==1.26.0"]
    wheels = [s for s in f.fixes if s.alternative == "nvidia wheels"]
    assert wheels and wheels[0].recommended and "'onnxruntime-gpu[cuda,cudnn]==1.26.0'" in wheels[0].commands[0]
    assert "preload_dlls" in wheels[0].why


def test_fw005_cudnn_only_in_its_wheel_is_a_warning():
    """https://github.com/microsoft/onnxruntime/issues/25609

    Facts: "onnxruntime-gpu==1.22.0 alone", "libcudnn.so.9: cannot open shared
    object file" "even when ... nvidia-cudnn-cu12 is already present". The CUDA 12
    runtime and cuBLAS are taken to be the system's (the error names only cuDNN).
    """
    inv = make_inventory(driver="570.124.06", gpus=[UNSTATED_GPU], frameworks=("onnxruntime-gpu",),
                         dists=[("onnxruntime-gpu", "1.22.0", []), ("nvidia-cudnn-cu12", "9.10.2.21", [])])
    inv = with_libraries(inv, ("cudart", "libcudart.so.12.8.90", SYSTEM, "system"),
                         ("cublas", "libcublas.so.12.8.4.1", SYSTEM, "system"))
    [f] = outcome("FW005", inv).findings
    assert f.severity == "warning" and "libcudnn.so.9 only in nvidia-* wheels" in f.message
    assert "onnxruntime.preload_dlls()" in f.message
    assert f.fixes[0].commands == ["/venv/bin/python -m pip install 'onnxruntime-gpu[cuda,cudnn]==1.22.0'"]


def test_fw005_silent_when_the_loader_finds_every_library():
    inv = make_inventory(driver="570.124.06", gpus=[UNSTATED_GPU], frameworks=("onnxruntime-gpu",),
                         dists=[("onnxruntime-gpu", "1.22.0", [])])
    inv = with_libraries(inv, ("cudart", "libcudart.so.12.8.90", SYSTEM, "system"),
                         ("cublas", "libcublas.so.12.8.4.1", SYSTEM, "system"), ("cudnn", "libcudnn.so.9.10.2", SYSTEM, "system"))
    out = outcome("FW005", inv)
    assert out.findings == [] and out.undecided == []
    cpu_node = make_inventory(dists=[("onnxruntime-gpu", "1.22.0", [])], frameworks=("onnxruntime-gpu",))
    assert outcome("FW005", cpu_node).findings == []


def test_fw005_cudnn_major_unknown_is_undecided():
    """https://github.com/memoavatar/memo/issues/13

    Facts: "onnxruntime-gpu Version: 1.20.1", CUDA 12.0 toolkit (nvcc), error
    "libcudnn_adv.so.9: cannot open shared object file". The onnxruntime_gpu matrix
    does not know which cuDNN 1.20 needs, so the cuDNN part is undecided.
    """
    inv = make_inventory(driver="550.54.15", gpus=[UNSTATED_GPU], frameworks=("onnxruntime-gpu",),
                         dists=[("onnxruntime-gpu", "1.20.1", [])])
    inv = with_libraries(inv, ("cudart", "libcudart.so.12.0.146", "/usr/local/cuda-12.0/lib64", "toolkit"),
                         ("cublas", "libcublas.so.12.0.2.224", "/usr/local/cuda-12.0/lib64", "toolkit"))
    out = outcome("FW005", inv)
    assert out.findings == []
    [u] = out.undecided
    assert "cuDNN major of onnxruntime-gpu 1.20.1" in u.missing and u.settle


def test_fw005_unreadable_linker_cache_is_undecided_not_missing():
    inv = make_inventory(driver="550.54.14", gpus=[UNSTATED_GPU], dists=[("onnxruntime-gpu", "1.22.0", [])],
                         frameworks=("onnxruntime-gpu",))
    inv = dataclasses.replace(inv, unknowns=[Unknown("nvidia", "nvidia.ld_cache", "permission denied")])
    out = outcome("FW005", inv)
    assert out.findings == [] and out.undecided and "linker cache" in out.undecided[0].missing[0]


# --- LIB004 cuda-library-not-findable -----------------------------------------------------------


def _tf(inv, cuda):
    return with_framework(inv, "tensorflow", runtime_kind="cuda", runtime_version=cuda, variant=f"cu{cuda.replace('.', '')}")


def test_lib004_tensorflow_2_7_without_cuda_11_runtime():
    """https://github.com/tensorflow/tensorflow/issues/53362

    Facts: "TensorFlow version: 2.7.0", "CUDA/cuDNN version: 11.5", "Gtx 1060",
    "Could not load dynamic library 'libcudart.so.11.0'". TensorFlow 2.7 was built
    for CUDA 11.2. The CUDA 11.5 toolkit is installed but not on the loader's path
    (the probe lists no copy the loader finds); cuBLAS likewise.
    """
    inv = make_inventory(driver="495.44", gpus=[("NVIDIA GeForce GTX 1060", "6.1")], python="3.9.7",
                         dists=[("tensorflow", "2.7.0", [])], frameworks=("tensorflow",))
    [f] = outcome("LIB004", _tf(inv, "11.2")).findings
    assert f.severity == "error" and "needs libcudart.so.11.0, libcublas.so.11" in f.message
    wheels = [s for s in f.fixes if s.alternative == "CUDA wheels"]
    assert wheels[0].commands[0] == ("/venv/bin/python -m pip install 'nvidia-cuda-runtime-cu11==11.*' "
                                     "'nvidia-cublas-cu11==11.*'")
    assert wheels[0].commands[1].startswith("export LD_LIBRARY_PATH=/venv/lib/site-packages/nvidia/cuda_runtime/lib:"
                                            "/venv/lib/site-packages/nvidia/cublas/lib")


def test_lib004_silent_with_the_libraries_on_the_loader_path_or_and_cuda_wheels():
    """https://github.com/tensorflow/tensorflow/issues/45930 (the fix a commenter reports)

    Facts: "libcudart.so.11.0" was in /usr/local/cuda-11.1/targets/x86_64-linux/lib;
    adding that folder to LD_LIBRARY_PATH fixed it. TensorFlow 2.4 (CUDA 11.0 build).
    """
    folder = "/usr/local/cuda-11.1/targets/x86_64-linux/lib"
    inv = make_inventory(driver="455.45.01", gpus=[UNSTATED_GPU], dists=[("tensorflow", "2.4.0", [])],
                         frameworks=("tensorflow",), env={"LD_LIBRARY_PATH": folder})
    inv = with_libraries(_tf(inv, "11.0"), ("cudart", "libcudart.so.11.1.74", folder, "toolkit"),
                         ("cublas", "libcublas.so.11.3.0.106", folder, "toolkit"))
    assert outcome("LIB004", inv) == outcome("LIB004", inv) and outcome("LIB004", inv).findings == []
    # TensorFlow 2.14+ finds the nvidia-* wheels of its and-cuda extra
    wheels = make_inventory(driver="550.54.15", gpus=[UNSTATED_GPU], frameworks=("tensorflow",),
                            dists=[("tensorflow", "2.18.0", []), ("nvidia-cuda-runtime-cu12", "12.5.82", []),
                                   ("nvidia-cublas-cu12", "12.5.3.2", [])])
    assert outcome("LIB004", _tf(wheels, "12.5")).findings == []


def test_lib004_tensorflow_2_18_without_and_cuda_gets_the_extra():
    inv = make_inventory(driver="550.54.15", gpus=[UNSTATED_GPU], dists=[("tensorflow", "2.18.0", [])],
                         frameworks=("tensorflow",))
    [f] = outcome("LIB004", _tf(inv, "12.5")).findings
    assert f.fixes[0].commands == ["/venv/bin/python -m pip install 'tensorflow[and-cuda]==2.18.0'"]


def test_lib004_unknown_cuda_build_is_undecided():
    inv = make_inventory(driver="550.54.15", gpus=[UNSTATED_GPU], dists=[("tensorflow", "2.99.0", [])],
                         frameworks=("tensorflow",))
    inv = with_framework(inv, "tensorflow", runtime_kind="cuda", runtime_version=None)
    out = outcome("LIB004", inv)
    assert out.findings == [] and "CUDA version of tensorflow 2.99.0" in out.undecided[0].missing


def test_lib004_cupy_without_cublas():
    """https://docs.cupy.dev/en/stable/install.html: a cupy-cuda12x wheel needs CUDA 12's libraries
    from a CUDA Toolkit (or its ctk extra's wheels)."""
    inv = make_inventory(driver="550.54.15", gpus=[UNSTATED_GPU], dists=[("cupy-cuda12x", "13.3.0", [])],
                         frameworks=("cupy-cuda12x",))
    inv = with_framework(inv, "cupy-cuda12x", runtime_kind="cuda", runtime_version="12")
    [f] = outcome("LIB004", inv).findings
    assert "needs libcublas.so.12" in f.message
    assert any(e.value == "12.0 to any later 12.x" and "cupy matrix" in e.source for e in f.evidence)


def test_lib004_per_minor_cupy_package_names_its_cuda_release_in_the_fix():
    """CuPy's install docs list cupy-cuda117 for CUDA 11.7 alone (cupy matrix); the fix names that release."""
    inv = make_inventory(driver="515.65.01", gpus=[UNSTATED_GPU], dists=[("cupy-cuda117", "11.6.0", [])],
                         frameworks=("cupy-cuda117",))
    inv = with_framework(inv, "cupy-cuda117", runtime_kind="cuda", runtime_version="11")
    [f] = outcome("LIB004", inv).findings
    assert any(e.value == "11.7 only" for e in f.evidence)
    assert f.fixes[-1].title == "Or install the CUDA 11.7 toolkit's runtime libraries system-wide"


# --- FW006 jaxlib-cuda-build-cudnn-too-old ------------------------------------------------------


def _jaxlib(inv, version):
    return with_framework(inv, "jaxlib", runtime_kind="cuda", runtime_version=version.split("+cuda")[1].split(".")[0],
                          variant=version.split("+")[1])


def test_fw006_monolithic_jaxlib_cudnn89_on_cudnn_8_6():
    """https://github.com/MIT-REALM/gcbfplus/issues/1

    Facts: "Found cuDNN version 8600, but JAX was built against version 8906".
    The jaxlib build is not stated: 0.4.23+cuda12.cudnn89 stands in (a cuDNN 8.9
    build); the cuDNN 8.6 is a system copy.
    """
    inv = make_inventory(driver="535.104.05", gpus=[UNSTATED_GPU], frameworks=("jaxlib",),
                         dists=[("jax", "0.4.23", []), ("jaxlib", "0.4.23+cuda12.cudnn89", [])])
    inv = with_libraries(_jaxlib(inv, "0.4.23+cuda12.cudnn89"), ("cudnn", "libcudnn.so.8.6.0", SYSTEM, "system"))
    [f] = outcome("FW006", inv).findings
    assert f.severity == "error" and "requires cuDNN 8.9" in f.message and "will load 8.6" in f.message
    assert f.fixes[0].commands == ["/venv/bin/python -m pip install 'nvidia-cudnn-cu12>=8.9,<9'"]


def test_fw006_silent_with_a_new_enough_cudnn_wheel():
    """https://github.com/jax-ml/jax/issues/15742 (a cuda11.cudnn86 build, jaxlib 0.4.7), with its cuDNN 8.6 wheel."""
    inv = make_inventory(driver="515.65.01", gpus=[UNSTATED_GPU], frameworks=("jaxlib",),
                         dists=[("jax", "0.4.8", []), ("jaxlib", "0.4.7+cuda11.cudnn86", []),
                                ("nvidia-cudnn-cu11", "8.6.0.163", [])])
    out = outcome("FW006", _jaxlib(inv, "0.4.7+cuda11.cudnn86"))
    assert out.findings == [] and out.undecided == []


def test_fw006_unknown_cudnn_version_is_undecided():
    inv = make_inventory(driver="515.65.01", gpus=[UNSTATED_GPU], frameworks=("jaxlib",),
                         dists=[("jax", "0.4.8", []), ("jaxlib", "0.4.7+cuda11.cudnn86", [])])
    inv = dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, libraries=[
        NativeLibrary("cudnn", f"{SYSTEM}/libcudnn.so.8", soname="libcudnn.so.8", origin="system")]))
    out = outcome("FW006", _jaxlib(inv, "0.4.7+cuda11.cudnn86"))
    assert out.findings == [] and "version of the cuDNN at" in out.undecided[0].missing[0]


def test_monolithic_and_conda_jaxlib_are_not_cpu_builds():
    """A jaxlib+cudaNN.cudnnMM is a CUDA build (FW001 stays quiet on a GPU node); a conda-forge jaxlib
    without a plugin is undecided (its build string, not its dist-info, says CPU or CUDA):
    https://github.com/conda-forge/jax-feedstock/issues/149."""
    from accelctl.inventory.python_env import Distribution
    from accelctl.probes.frameworks.common import MarkerEnv
    from accelctl.probes.frameworks.jax import monolithic_cuda, read_jax

    assert monolithic_cuda("cuda12.cudnn89") == ("12", "8.9")
    assert monolithic_cuda("cuda111") == ("11.1", None)
    assert monolithic_cuda("cu124") is None
    inv = make_inventory(dists=[("jax", "0.4.23", [])])
    env = inv.python[0]
    menv = MarkerEnv("3.12.3", "x86_64")
    mono = {"jax": Distribution("jax", "0.4.23"), "jaxlib": Distribution("jaxlib", "0.4.23+cuda12.cudnn89")}
    [_, lib] = read_jax(env, mono, menv)
    assert (lib.runtime_kind, lib.runtime_version, lib.variant) == ("cuda", "12", "cuda12.cudnn89")
    conda = {"jax": Distribution("jax", "0.4.31"), "jaxlib": Distribution("jaxlib", "0.4.31", installer="conda")}
    [_, lib] = read_jax(env, conda, menv)
    assert lib.runtime_kind is None and "conda" in (lib.runtime_source or "")
