"""What a framework loads, in the order it loads it: the requests the loader model plays.

Pure data and functions of a site-packages layout (the caller says which files
exist). Each entry names the document or source file it comes from; the
dependencies that follow from DT_NEEDED are not listed here, the model reads
them from the files.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence

from accelctl.probes.nvidia.resolution import LoadRequest

# Libraries that dlopen() others by soname at run time, from their own code (so with their own
# RPATH/RUNPATH as the asking object). cuDNN 9 splits into a shim and sub-libraries that the shim
# loads on first use: NVIDIA cuDNN Backend API Overview ("The cuDNN version 9 library is reorganized
# into several sub-libraries"), https://docs.nvidia.com/deeplearning/cudnn/latest/api/overview.html,
# read 2026-12-05. cuDNN 8: https://docs.nvidia.com/deeplearning/cudnn/archives/cudnn-890/api/index.html.
DLOPENS: dict[str, tuple[str, ...]] = {
    "libcudnn.so.9": ("libcudnn_graph.so.9", "libcudnn_engines_precompiled.so.9",
                      "libcudnn_engines_runtime_compiled.so.9", "libcudnn_heuristic.so.9", "libcudnn_ops.so.9",
                      "libcudnn_cnn.so.9", "libcudnn_adv.so.9"),
    "libcudnn.so.8": ("libcudnn_ops_infer.so.8", "libcudnn_ops_train.so.8", "libcudnn_cnn_infer.so.8",
                      "libcudnn_cnn_train.so.8", "libcudnn_adv_infer.so.8", "libcudnn_adv_train.so.8"),
}
DLOPENS_SOURCE = "https://docs.nvidia.com/deeplearning/cudnn/latest/api/overview.html"

# jax's CUDA plugin loads these by absolute path from site-packages/nvidia/<folder>/lib before its own
# plugin library, so later lookups by soname find them (jax_plugins/cuda/__init__.py
# ``_load_nvidia_libraries``, jax-ml/jax); a missing file is skipped.
JAX_PRELOADS: tuple[tuple[str, str], ...] = (
    ("cuda_runtime", "libcudart.so.12"), ("cu13", "libcudart.so.13"), ("cuda_nvrtc", "libnvrtc.so.12"),
    ("cu13", "libnvrtc.so.13"), ("cublas", "libcublas.so.12"), ("cublas", "libcublasLt.so.12"),
    ("cu13", "libcublas.so.13"), ("cu13", "libcublasLt.so.13"), ("nccl", "libnccl.so.2"),
    ("cuda_cupti", "libcupti.so.12"), ("cu13", "libcupti.so.13"), ("cusparse", "libcusparse.so.12"),
    ("cu13", "libcusparse.so.12"), ("cusolver", "libcusolver.so.11"), ("cu13", "libcusolver.so.12"),
    ("cufft", "libcufft.so.11"), ("cu13", "libcufft.so.12"), ("nvshmem", "libnvshmem_host.so.3"),
    ("cudnn", "libcudnn.so.9"),
)
JAX_PLUGIN_DIRS = ("jax_plugins/xla_cuda13", "jax_plugins/xla_cuda12")

# torch/__init__.py: ``_load_global_deps`` dlopens torch/lib/libtorch_global_deps.so (RTLD_GLOBAL)
# before ``from torch._C import *``; only if that fails on a CUDA library does ``_preload_cuda_deps``
# load the first sys.path/nvidia/<folder>/lib/<glob> match of each CUDA library.
TORCH_GLOBAL_DEPS = "torch/lib/libtorch_global_deps.so"
TORCH_CUDA = "torch/lib/libtorch_cuda.so"
TORCH_SOURCE = "torch/__init__.py _load_global_deps"


# ``_preload_cuda_deps`` folders and globs (torch/__init__.py, the ``cuda_libs`` table of ``_load_global_deps``).
TORCH_FALLBACK: tuple[tuple[str, str], ...] = (
    ("cublas", "libcublas.so."), ("cudnn", "libcudnn.so."), ("cuda_nvrtc", "libnvrtc.so."),
    ("cuda_runtime", "libcudart.so."), ("cuda_cupti", "libcupti.so."), ("cufft", "libcufft.so."),
    ("curand", "libcurand.so."), ("nvjitlink", "libnvJitLink.so."), ("cusparse", "libcusparse.so."),
    ("cusolver", "libcusolver.so."), ("nccl", "libnccl.so."), ("nvtx", "libnvToolsExt.so."),
)


def torch_fallback_requests(site: str, listdir: Callable[[str], list[str]]) -> list[LoadRequest]:
    """What ``_preload_cuda_deps`` loads by path when libtorch_global_deps.so fails on a CUDA library.

    It takes the first ``lib<name>.so.*[0-9]`` glob match of each folder (glob order is the
    directory's; sorted here, so a folder holding two majors is ambiguous).
    """
    out = []
    for folder, prefix in TORCH_FALLBACK:
        lib_dir = posixpath.join(site, "nvidia", folder, "lib")
        match = sorted(n for n in listdir(lib_dir) if n.startswith(prefix) and n[-1:].isdigit())
        if match:
            out.append(LoadRequest(posixpath.join(lib_dir, match[0]), None,
                                   "torch/__init__.py _preload_cuda_deps (libtorch_global_deps.so failed to load)"))
    return out


def sub_library_requests(loaded: dict[str, str]) -> list[LoadRequest]:
    """The dlopens each loaded dispatcher (by soname -> its file) makes, with it as the caller."""
    out = []
    for soname, subs in DLOPENS.items():
        if soname in loaded:
            out += [LoadRequest(sub, loaded[soname], f"{soname} loads its sub-libraries on first use ({DLOPENS_SOURCE})")
                    for sub in subs]
    return out


def torch_requests(site: str, exists: Callable[[str], bool], path_first: Sequence[str] = (),
                   is_dir: Callable[[str], bool] | None = None,
                   listdir: Callable[[str], list[str]] | None = None) -> list[LoadRequest]:
    """``import torch`` on a CUDA build: global deps first, then the extension module and what it needs."""
    out = []
    deps = posixpath.join(site, TORCH_GLOBAL_DEPS)
    if exists(deps):
        out.append(LoadRequest(deps, None, f"{TORCH_SOURCE} (RTLD_GLOBAL, before torch._C)"))
    folder = posixpath.join(site, "torch")
    extension = sorted(n for n in (listdir(folder) if listdir else []) if n.startswith("_C.") and n.endswith(".so"))
    if extension:  # torch._C -> libtorch_python.so -> libtorch.so -> libtorch_cuda.so ..., through DT_NEEDED
        out.append(LoadRequest(posixpath.join(folder, extension[0]), None, "import torch._C"))
    cuda = posixpath.join(site, TORCH_CUDA)
    if exists(cuda):
        # reached through the extension's NEEDED chain when that is readable (then this is "already loaded");
        # else it stands for the chain: its own DT_RPATH decides its CUDA libraries
        out.append(LoadRequest(cuda, None, "import torch._C (libtorch_cuda.so through DT_NEEDED)"))
    return out


def package_dir(roots: Sequence[str], dotted: tuple[str, ...], exists: Callable[[str], bool],
                is_dir: Callable[[str], bool]) -> str | None:
    """The first ``__path__`` entry of a package, as Python's path finder builds it (PEP 420).

    At each level the first folder holding ``<name>/__init__.py`` is a regular package and
    wins; failing that, every folder holding ``<name>/`` is a namespace portion, in order.
    """
    paths = list(roots)
    for name in dotted:
        regular = next((posixpath.join(p, name) for p in paths if exists(posixpath.join(p, name, "__init__.py"))), None)
        paths = [regular] if regular else [posixpath.join(p, name) for p in paths if is_dir(posixpath.join(p, name))]
        if not paths:
            return None
    return paths[0]


def jax_requests(site: str, exists: Callable[[str], bool], path_first: Sequence[str] = (),
                 is_dir: Callable[[str], bool] | None = None,
                 listdir: Callable[[str], list[str]] | None = None) -> list[LoadRequest]:
    """``import jax`` with the CUDA plugin: its NVIDIA wheel preloads by path, then the plugin library.

    ``nvidia.<folder>`` is a namespace package: its first ``__path__`` entry is the first sys.path
    folder holding ``nvidia/<folder>`` (``path_first``: PYTHONPATH, searched before site-packages);
    a library missing there is skipped, not looked up further.
    """
    out = []
    roots = [*path_first, site]
    for folder, soname in JAX_PRELOADS:
        package = package_dir(roots, ("nvidia", folder), exists, is_dir) if is_dir else None
        path = posixpath.join(package or posixpath.join(site, "nvidia", folder), "lib", soname)
        if exists(path):
            out.append(LoadRequest(path, None, "jax CUDA plugin _load_nvidia_libraries (by path)"))
    for plugin in JAX_PLUGIN_DIRS:
        path = posixpath.join(site, plugin, "xla_cuda_plugin.so")
        if exists(path):
            out.append(LoadRequest(path, None, "jax CUDA plugin registration (xla_cuda_plugin.so)"))
            break
    return out


FRAMEWORK_REQUESTS: dict[str, Callable[..., list[LoadRequest]]] = {
    "torch": torch_requests, "jax": jax_requests,
}
