"""The accelerator stack of a conda environment, from its ``conda-meta/*.json`` records (conda is not run).

conda names each record ``<name>-<version>-<build>.json`` (a version and a build string never
hold a dash), so every package is known from the folder listing alone; the records themselves
(a pytorch one lists thousands of files) are read, within a size bound, only for the packages
of the accelerator stack, for their channel and CUDA dependencies. A record that cannot be read
costs its channel and dependencies (an unknown naming the file), never the package.

Build strings carry the CUDA and cuDNN a build was made for: the pytorch channel's
``py3.11_cuda12.1_cudnn8.9.2_0``, conda-forge's ``cuda120_py311h..._300`` (CUDA 12.0) and
``cpu_mkl_py311h..._100``, anaconda's cuDNN ``cuda12_0``
(https://conda-forge.org/docs/maintainer/knowledge_base/#cuda-builds).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from typing import Any

from accelctl.bounded import InputFileError, loads_json
from accelctl.host.base import Host, HostError
from accelctl.inventory.python_env import CondaPackage

# The packages whose build and CUDA dependencies decide whether a framework finds its libraries.
_STACK = re.compile(
    r"^(python|cuda[-a-z0-9]*|cudatoolkit|cudnn|nccl|libcu[-a-z0-9]*|libnv[-a-z0-9]*|libnccl|libcudnn[-a-z0-9]*"
    r"|nvidia-[-a-z0-9]*|pytorch(-cuda|-gpu|-cpu)?|torch[-a-z0-9]*|libtorch|tensorflow(-gpu|-base)?|jax|jaxlib"
    r"|cupy(-core)?|onnxruntime[-a-z0-9]*|tensorrt|libtensorrt|magma|vllm|xformers|triton)$")
_CUDA_DEPENDS = re.compile(r"^(__cuda|cuda-version|cudatoolkit|cudnn|nccl|pytorch-cuda|libcu[a-z]*|libnccl|libcudnn)\b")
_RECORD_LIMIT = 16 << 20
_RECORDS_MAX = 4096  # a conda env holds hundreds; more is not an environment to walk

_CUDA_DOTTED = re.compile(r"(?:^|_)cuda(\d+\.\d+)(?=_|$)")  # py3.11_cuda12.1_cudnn8.9.2_0
_CUDA_PACKED = re.compile(r"(?:^|_)cuda(\d{3,})(?=_|py|h|$)")  # cuda120_py311h..., cuda118py311h...
_CUDA_MAJOR = re.compile(r"(?:^|_)cuda(\d{1,2})(?=_|$)")  # cuda12_0
_CUDNN = re.compile(r"(?:^|_)cudnn(\d+(?:\.\d+)*)(?=_|$)")
_CPU = re.compile(r"(?:^|_)cpu(?=_|$)")


def parse_record_name(filename: str) -> tuple[str, str, str] | None:
    """(name, version, build) of a conda-meta file name; None for any other file."""
    if not filename.endswith(".json"):
        return None
    parts = filename[:-5].rsplit("-", 2)
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 and all(parts) else None


def build_runtime(build: str) -> tuple[str | None, str | None, bool]:
    """(CUDA, cuDNN, CPU-only) a build string says its package was built for."""
    cuda = None
    if m := _CUDA_DOTTED.search(build):
        cuda = m.group(1)
    elif m := _CUDA_PACKED.search(build):
        cuda = f"{m.group(1)[:-1]}.{m.group(1)[-1]}"  # conda-forge packs 12.0 as 120 and 11.8 as 118
    elif m := _CUDA_MAJOR.search(build):
        cuda = m.group(1)
    cudnn = m.group(1) if (m := _CUDNN.search(build)) else None
    return cuda, cudnn, cuda is None and bool(_CPU.search(build))


def short_channel(channel: str) -> str:
    """``conda-forge`` of a channel URL ending in the channel name and the platform subdirectory."""
    if "://" not in channel:
        return channel
    path = channel.split("://", 1)[1].partition("/")[2].strip("/").split("/")
    if path and re.fullmatch(r"(noarch|(linux|osx|win)-[a-z0-9_]+)", path[-1]):
        path = path[:-1]
    return "/".join(path) or channel


def parse_record(data: bytes, origin: str) -> dict[str, Any]:
    """The fields accelctl keeps from one record; InputFileError names ``origin`` when it is not a record."""
    value = loads_json(data, origin)
    if not isinstance(value, dict):
        raise InputFileError(f"{origin}: not a conda package record (a JSON object)")
    out: dict[str, Any] = {}
    for key in ("name", "version", "build", "channel"):
        if key in value and not isinstance(value[key], str):
            raise InputFileError(f"{origin}: field {key!r} is not a string")
        out[key] = value.get(key)
    depends = value.get("depends", [])
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise InputFileError(f"{origin}: field 'depends' is not a list of strings")
    out["depends"] = [d for d in depends if _CUDA_DEPENDS.match(d)]
    return out


def read_conda_packages(host: Host, prefix: str,
                        unknown: Callable[[str, str], None] | None = None) -> list[CondaPackage]:
    """The accelerator stack's packages of the conda environment at ``prefix`` (empty when it is none)."""
    folder = posixpath.join(prefix, "conda-meta")
    try:
        entries = host.list_dir(folder, lambda name: name.endswith(".json"))
    except HostError:
        return []
    out: list[CondaPackage] = []
    for entry in sorted(entries, key=lambda e: e.name)[:_RECORDS_MAX]:
        named = parse_record_name(entry.name)
        if named is None or not _STACK.match(named[0]):
            continue
        out.append(_package(host, posixpath.join(folder, entry.name), *named, unknown=unknown))
    return out


def _package(host: Host, path: str, name: str, version: str, build: str,
             unknown: Callable[[str, str], None] | None) -> CondaPackage:
    channel, depends = None, []
    try:
        size = host.file_size(path)
        if size is not None and size > _RECORD_LIMIT:
            raise InputFileError(f"{path}: {size} bytes is larger than a package record may be ({_RECORD_LIMIT} bytes)")
        record = parse_record(host.read_bytes(path, _RECORD_LIMIT + 1), path)
        if record["name"] not in (None, name) or record["version"] not in (None, version):
            raise InputFileError(f"{path}: names {record['name']} {record['version']}, not its file's {name} {version}")
        build = record["build"] or build
        channel = short_channel(record["channel"]) if record["channel"] else None
        depends = record["depends"]
    except (HostError, InputFileError) as exc:
        if unknown is not None:
            unknown(f"python.conda.{name}", f"conda package record unreadable: {exc}")
    cuda, cudnn, cpu = build_runtime(build)
    return CondaPackage(name=name, version=version, build=build, channel=channel, build_cuda=cuda,
                        build_cudnn=cudnn, cpu_build=cpu, cuda_depends=depends, record=path)
