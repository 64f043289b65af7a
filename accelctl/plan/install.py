"""Install and uninstall commands written for one environment, the way its own installer takes them.

A fix is only useful if it works exactly as printed, so the command names the
environment's own interpreter (``/venv/bin/python -m pip``, never a bare
``pip`` that may belong to another environment), uses the installer that
manages the environment (the INSTALLER file of each distribution's dist-info
names it: "Recording installed projects" in the Python Packaging specifications;
uv writes ``uv``, conda-build ``conda``), and names the package index that
serves a local-version build: ``torch==2.6.0+cu124`` exists only on PyTorch's
own index (https://pytorch.org/get-started/locally/), so without
``--index-url`` pip cannot find it.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from accelctl.inventory.python_env import PythonEnvironment
from accelctl.matrices import MatrixSet

# Distributions whose local-version builds come from PyTorch's per-variant index (the torch family).
TORCH_INDEX_FAMILY = ("torch", "torchvision", "torchaudio", "pytorch-triton", "pytorch-triton-rocm", "pytorch-triton-xpu")
# PyPI and conda-forge name the same project differently for these (conda-forge's pytorch feedstock).
_CONDA_NAMES = {"torch": "pytorch"}


@dataclass(frozen=True)
class Want:
    """One requirement of an install command, with the index that serves it (None: the default index)."""

    requirement: str  # "torch==2.6.0+cu124"
    index: str | None = None


def installer_of(env: PythonEnvironment, names: Sequence[str] = ()) -> str:
    """pip, uv or conda: the installer that manages these distributions of ``env`` (all of it when none named).

    conda only in a conda environment where every named package is installed and came from conda
    (conda-build's post-processing writes ``conda`` into each dist-info INSTALLER file:
    conda_build/post.py, https://github.com/conda/conda-build); a package conda does not have
    installed goes through pip, whose names conda's channels do not share. uv where most of the
    environment's distributions were installed by uv; pip otherwise.
    """
    wanted = {canonicalize_name(n) for n in names}
    named = [(d.installer or "").strip().lower() for d in env.distributions if canonicalize_name(d.name) in wanted]
    if env.kind == "conda" and wanted and len(named) == len(wanted) and all(i == "conda" for i in named):
        return "conda"
    installers = [(d.installer or "").strip().lower() for d in env.distributions]
    counted = [i for i in installers if i in ("pip", "uv")]
    if counted and counted.count("uv") * 2 > len(counted):
        return "uv"
    return "pip"


def _python(env: PythonEnvironment) -> str:
    return env.interpreter or "python3"


def _join(words: Sequence[str]) -> str:
    return " ".join(shlex.quote(w) for w in words)


def _index_options(wants: Sequence[Want]) -> list[str]:
    """--index-url when every requirement comes from one other index, else --extra-index-url for each."""
    indexes = sorted({w.index for w in wants if w.index})
    if not indexes:
        return []
    if len(indexes) == 1 and all(w.index for w in wants):
        return ["--index-url", indexes[0]]
    out: list[str] = []
    for index in indexes:
        out += ["--extra-index-url", index]
    return out


def install_command(env: PythonEnvironment, wants: Sequence[Want], *, reinstall: bool = False,
                    no_deps: bool = False) -> str:
    """One command that installs every requirement of ``wants`` together into ``env``."""
    names = [_name(w.requirement) for w in wants]
    tool = installer_of(env, names)
    reqs = [w.requirement for w in wants]
    if tool == "conda":
        specs = [_conda_spec(r) for r in reqs]
        return _join(["conda", "install", "--prefix", env.prefix or "", "--yes", *specs])
    flags = (["--force-reinstall"] if reinstall else []) + (["--no-deps"] if no_deps else [])
    if tool == "uv":
        flags = (["--reinstall"] if reinstall else []) + (["--no-deps"] if no_deps else [])
        return _join(["uv", "pip", "install", "--python", _python(env), *flags, *_index_options(wants), *reqs])
    return _join([_python(env), "-m", "pip", "install", *flags, *_index_options(wants), *reqs])


def uninstall_command(env: PythonEnvironment, names: Sequence[str]) -> str:
    tool = installer_of(env, names)
    if tool == "conda":
        return _join(["conda", "remove", "--prefix", env.prefix or "", "--yes", *(_CONDA_NAMES.get(canonicalize_name(n), n) for n in names)])
    if tool == "uv":
        return _join(["uv", "pip", "uninstall", "--python", _python(env), *names])
    return _join([_python(env), "-m", "pip", "uninstall", "-y", *names])


def python_check(env: PythonEnvironment, code: str) -> str:
    """A verify command: run ``code`` with the environment's own interpreter."""
    return _join([_python(env), "-c", code])


def _name(requirement: str) -> str:
    for i, ch in enumerate(requirement):
        if ch in "=<>!~[; ":
            return requirement[:i]
    return requirement


def _conda_spec(requirement: str) -> str:
    name = _name(requirement)
    rest = requirement[len(name):].split("+", 1)[0]  # conda has no local version tags
    return _CONDA_NAMES.get(canonicalize_name(name), name) + rest


def index_for(matrices: MatrixSet, name: str, version: str, arch: str = "x86_64") -> str | None:
    """The index that serves ``name==version``: PyTorch's variant index for a torch-family local build, else None.

    ``2.6.0+cu124`` comes from the index of the cu124 variant (the pytorch matrix's ``index_url``);
    a release without a local tag comes from the default index.
    """
    if "+" not in version or canonicalize_name(name) not in TORCH_INDEX_FAMILY:
        return None
    variant = version.split("+", 1)[1]
    for build in matrices.entries_or_empty("pytorch"):
        if build.variant == variant and build.index_url:
            return str(build.index_url)
    return None


def want(matrices: MatrixSet, name: str, version: str) -> Want:
    """``name==version`` with the index that serves it."""
    return Want(f"{name}=={version}", index_for(matrices, name, version))


# What each framework's own import reports about the libraries a fix changes (the cuDNN torch loads is
# ``torch.backends.cudnn.version()``; jax lists the devices its CUDA plugin found).
_IMPORT_CHECKS = {
    "torch": "import torch; print(torch.__version__, torch.version.cuda, torch.cuda.is_available(), torch.backends.cudnn.version())",
    "jax": "import jax; print(jax.__version__, jax.devices())",
    "jaxlib": "import jax; print(jax.__version__, jax.devices())",
    "tensorflow": "import tensorflow as tf; print(tf.__version__, tf.config.list_physical_devices('GPU'))",
    "torchvision": "import torch, torchvision; print(torch.__version__, torchvision.__version__)",
    "torchaudio": "import torch, torchaudio; print(torch.__version__, torchaudio.__version__)",
}


def framework_check(env: PythonEnvironment, name: str) -> str:
    """A verify command that imports ``name`` in ``env`` and prints what it loaded."""
    module = canonicalize_name(name).replace("-", "_")
    return python_check(env, _IMPORT_CHECKS.get(canonicalize_name(name), f"import {module}; print({module}.__name__)"))


def shared_file_survivors(env: PythonEnvironment, removed: Sequence[str]) -> list[tuple[str, str]]:
    """(name, version) of installed wheels that stay and share files with a wheel in ``removed``.

    Wheels of one library that differ only in the ``-cuNN`` suffix install into the same
    folder: on a CUDA 13 node, nvidia-cudnn-cu13, -cusparselt-cu13, -nccl-cu13 and
    -nvshmem-cu13 sit in ``nvidia/cudnn``, ``nvidia/cusparselt``, ``nvidia/nccl`` and
    ``nvidia/nvshmem``, the folders of their -cu12 wheels (only the unsuffixed CUDA 13
    toolkit wheels moved to ``nvidia/cu13``). pip removes every file in a wheel's RECORD,
    so uninstalling nvidia-nccl-cu12 deletes the ``libnccl.so.2`` that nvidia-nccl-cu13 also
    installed; a forced reinstall of the survivor, without dependencies, writes it back.
    """
    gone = {canonicalize_name(n) for n in removed}
    families = {f for f in (_suffix_family(n) for n in gone) if f}
    return [(d.name, d.version) for d in env.distributions
            if canonicalize_name(d.name) not in gone and _suffix_family(d.name) in families]


def _suffix_family(name: str) -> str:
    """'nvidia-nccl-cu12' -> 'nvidia-nccl'; '' for a name without a -cuNN suffix."""
    n = canonicalize_name(name)
    head, sep, tail = n.rpartition("-cu")
    return head if sep and tail.isdigit() else ""


def remove_then_restore(env: PythonEnvironment, removed: Sequence[str]) -> str:
    """Uninstall ``removed``, then reinstall (same version, no dependencies) the wheels that shared files with them."""
    command = uninstall_command(env, removed)
    survivors = shared_file_survivors(env, removed)
    if survivors:
        command += " && " + install_command(env, [Want(f"{n}=={v}") for n, v in survivors], reinstall=True, no_deps=True)
    return command
