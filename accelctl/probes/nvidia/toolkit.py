"""CUDA toolkits: every installation, its exact version, and which one a build would use.

Version sources, best first: version.json ("cuda" -> "version", CUDA >= 11.1),
version.txt ("CUDA Version X.Y.Z", older toolkits), the nvcc wheel's dist-info
(pip- or wheel-built toolkits), ``nvcc --version`` (a command: last resort, with
a timeout), and finally libcudart.so.<full version> (the runtime's own version).
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

from accelctl.host.base import HostError
from accelctl.inventory.nvidia import CudaToolkit
from accelctl.probes.nvidia.driver import libcuda_version_from_name

_NVCC_RELEASE = re.compile(r"release (\d+\.\d+), V(\d+\.\d+\.\d+)")
_VERSION_TXT = re.compile(r"CUDA Version (\d+\.\d+(?:\.\d+)?)")
_CUDART = re.compile(r"^libcudart\.so\.(\d+\.\d+\.\d+)$")
_NVCC_DIST = re.compile(r"^nvidia_cuda_nvcc(?:_cu\d+)?-(\d+\.\d+\.\d+)[^/]*\.dist-info$")


_TOOLKIT_VERSION = re.compile(r"\d{1,3}\.\d{1,3}(\.\d{1,6}){0,2}")


def parse_version_json(text: str) -> str | None:
    """``{"cuda": {"version": "12.4.1"}}`` -> "12.4.1"; anything else (a list, a number, garbage) -> None."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # malformed, over-long integers, nested too deep
        return None
    cuda = data.get("cuda") if isinstance(data, dict) else None
    version = cuda.get("version") if isinstance(cuda, dict) else None
    return version if isinstance(version, str) and _TOOLKIT_VERSION.fullmatch(version) else None


def parse_version_txt(text: str) -> str | None:
    m = _VERSION_TXT.search(text)
    return m.group(1) if m else None


def parse_nvcc_version(text: str) -> str | None:
    """`nvcc --version` -> "13.0.88" (the V... build number, which carries the patch level)."""
    m = _NVCC_RELEASE.search(text)
    return m.group(2) if m else None


_WRAPPER_EXEC = re.compile(r"""exec\s+["']?(/[^\s"']+/bin/nvcc)["']?""")


def follow_wrapper(host: Any, nvcc: str) -> str:
    """A small shell script that execs another nvcc (e.g. /usr/local/bin/nvcc) -> that nvcc."""
    size = host.file_size(nvcc)
    if size is None or size > 4096:
        return nvcc
    try:
        text = host.read_text(nvcc, 4096)
    except HostError:
        return nvcc
    m = _WRAPPER_EXEC.search(text) if text.startswith("#!") else None
    return host.realpath(m.group(1)) if m else nvcc


def looks_like_toolkit(host: Any, root: str) -> bool:
    return any(host.exists(posixpath.join(root, marker))
               for marker in ("version.json", "version.txt", "targets", "nvvm", "dist-info"))


def _lib_dirs(root: str) -> list[str]:
    return [posixpath.join(root, d) for d in ("lib64", "lib", "targets/x86_64-linux/lib", "targets/sbsa-linux/lib")]


def cudart_version(host: Any, root: str) -> str | None:
    for folder in _lib_dirs(root):
        try:
            for e in host.list_dir(folder):
                m = _CUDART.match(e.name)
                if m:
                    return m.group(1)
        except HostError:
            continue
    return None


def compat_libcuda(host: Any, root: str) -> tuple[str | None, str | None]:
    """(folder, driver version) of the forward-compat libcuda.so.<version> in ``root``/compat."""
    folder = posixpath.join(root, "compat")
    try:
        for e in host.list_dir(folder):
            version = libcuda_version_from_name(e.name)
            if version:
                return folder, version
    except HostError:
        pass
    return None, None


def candidates(host: Any, envs: list[Any]) -> list[tuple[str, str, str]]:
    """(root, origin, found by) for every place a toolkit may live, unresolved, first seen first."""
    out: list[tuple[str, str, str]] = []
    env = host.env
    for var in ("CUDA_HOME", "CUDA_PATH", "CUDA_ROOT", "CUDA_TOOLKIT_ROOT_DIR"):
        if env.get(var, "").startswith("/"):
            out.append((env[var].rstrip("/") or "/", "system", var))
    nvcc = host.which("nvcc")
    if nvcc:
        real = follow_wrapper(host, host.realpath(nvcc))
        out.append((posixpath.dirname(posixpath.dirname(real)), "system", "nvcc on PATH"))
    try:
        for e in host.list_dir("/usr/local"):
            if e.name == "cuda" or e.name.startswith("cuda-"):
                out.append((f"/usr/local/{e.name}", "system", "/usr/local"))
    except HostError:
        pass
    conda = env.get("CONDA_PREFIX")
    if conda and host.exists(posixpath.join(conda, "bin", "nvcc")):
        out.append((conda, "conda", "CONDA_PREFIX (cuda-nvcc)"))
    for penv in envs:
        for site in penv.site_packages:
            for sub in ("nvidia/cuda_nvcc", "nvidia/cu13", "nvidia/cu12"):
                root = posixpath.join(site, sub)
                if host.exists(posixpath.join(root, "bin", "nvcc")):
                    out.append((root, "pip", f"{sub} wheel in {site}"))
    return out


def _dist_info_version(host: Any, root: str, stem: str) -> str | None:
    try:
        for e in host.list_dir(posixpath.join(root, "dist-info")):
            m = re.match(r"^" + stem + r"(?:_cu\d+)?-(\d+(?:\.\d+)+)\.dist-info$", e.name)
            if m:
                return m.group(1)
    except HostError:
        pass
    return None


def _pip_nvcc_version(penvs: list[Any], root: str) -> str | None:
    for penv in penvs:
        for d in penv.distributions:
            name = d.name.lower().replace("_", "-")
            if (name.startswith("nvidia-cuda-nvcc") or name == "cuda-toolkit") and d.location and \
                    root.startswith(posixpath.dirname(d.location)):
                return d.version
    return None


def version_from_files(host: Any, root: str, origin: str, penvs: list[Any]) -> tuple[str | None, str | None]:
    """(version, source) from the toolkit's files and wheel metadata, nothing run; (None, None) when they are silent."""
    version = source = None
    try:
        version = parse_version_json(host.read_text(posixpath.join(root, "version.json"), 256 << 10))
        source = "version.json" if version else None
    except HostError:
        pass
    if not version:
        try:
            version = parse_version_txt(host.read_text(posixpath.join(root, "version.txt"), 4 << 10))
            source = "version.txt" if version else None
        except HostError:
            pass
    if not version:
        try:
            for e in host.list_dir(posixpath.join(root, "dist-info")):
                m = _NVCC_DIST.match(e.name)
                if m:
                    version, source = m.group(1), f"dist-info/{e.name}"
                    break
        except HostError:
            pass
    if not version and origin == "pip":
        version = _pip_nvcc_version(penvs, root)
        source = "nvcc wheel dist-info" if version else None
    return version, source


def describe(host: Any, root: str, origin: str, run_nvcc: Any, penvs: list[Any],
             from_files: tuple[str | None, str | None] | None = None) -> CudaToolkit:
    """The toolkit at ``root``; ``run_nvcc(nvcc)`` (its version, or None) is asked only when the files are silent.

    ``from_files`` is ``version_from_files``'s answer where the caller has it already.
    """
    nvcc_version = None
    nvcc = posixpath.join(root, "bin", "nvcc")
    has_nvcc = host.exists(nvcc)
    version, source = from_files or version_from_files(host, root, origin, penvs)
    if not version and has_nvcc:
        nvcc_version = run_nvcc(nvcc)
        if nvcc_version:
            version, source = nvcc_version, "nvcc --version"
    rt = cudart_version(host, root) or _dist_info_version(host, root, "nvidia_cuda_runtime")
    if not version and rt:
        version, source = rt, "libcudart.so file name (the runtime's version)"
    compat_path, compat_version = compat_libcuda(host, root)
    return CudaToolkit(path=root, version=version, version_source=source or "", origin=origin,
                       nvcc=nvcc if has_nvcc else None, compat_path=compat_path, compat_version=compat_version,
                       nvcc_version=nvcc_version, cudart_version=rt)


_VERSIONED_GCC = re.compile(r"^(?:[\w.+-]+-)?(?:gcc|g\+\+)-(\d+)(?:\.\d+)*$")
_FULL_VERSION = re.compile(r"^\s*(\d+(?:\.\d+){0,2})\s*$")


def gcc_major_from_name(path: str) -> str | None:
    """gcc-12, /usr/bin/g++-13, x86_64-linux-gnu-gcc-14 -> "12", "13", "14"; plain gcc -> None."""
    m = _VERSIONED_GCC.match(posixpath.basename(path))
    return m.group(1) if m else None


def parse_dumpfullversion(text: str) -> str | None:
    """`gcc -dumpfullversion` -> "13.3.0" (its whole output is the version)."""
    m = _FULL_VERSION.match(text or "")
    return m.group(1) if m else None


def host_compiler(host: Any) -> tuple[str | None, str]:
    """(compiler, why) nvcc would use: $NVCC_CCBIN, else $CUDAHOSTCXX, else gcc on PATH."""
    env = host.env
    for var in ("NVCC_CCBIN", "CUDAHOSTCXX"):
        value = env.get(var, "").strip()
        if value:
            return value, f"{var}={value}"
    gcc = host.which("gcc")
    return (gcc, "gcc on PATH") if gcc else (None, "")


def host_gcc_version(host: Any, run: Any) -> tuple[str | None, str, str | None]:
    """(version, source, why unknown) of the host compiler nvcc would use.

    ``run(argv)`` returns a CommandResult or None when commands cannot run.
    A versioned name (gcc-12) gives the major without running anything.
    """
    compiler, why = host_compiler(host)
    if not compiler:
        return None, "", "no NVCC_CCBIN or CUDAHOSTCXX set and no gcc on PATH"
    if host.is_dir(compiler):  # -ccbin may name a folder: nvcc then runs the gcc in it
        compiler = posixpath.join(compiler, "gcc")
    major = gcc_major_from_name(compiler)
    if major:
        return major, f"{why} (file name)", None
    name = posixpath.basename(compiler)
    if "clang" in name or name in ("icpx", "icx", "nvc++", "cl.exe"):
        return None, why, f"{compiler} is not GCC"
    result = run([compiler, "-dumpfullversion"])
    if result is None:
        return None, why, f"cannot run {compiler} -dumpfullversion on this host"
    if not result.ok:
        return None, why, f"{compiler} -dumpfullversion: {result.why_failed()}"
    version = parse_dumpfullversion(result.stdout)
    if not version:
        return None, why, f"{compiler} -dumpfullversion printed no version"
    return version, f"{why} ({compiler} -dumpfullversion)", None


def choose_active(host: Any, toolkits: list[CudaToolkit], found_by: dict[str, list[str]]) -> tuple[str | None, str | None]:
    """(root, why) of the toolkit a build would use: CUDA_HOME/CUDA_PATH, else nvcc on PATH, else /usr/local/cuda."""
    for reason in ("CUDA_HOME", "CUDA_PATH", "CUDA_ROOT", "CUDA_TOOLKIT_ROOT_DIR", "nvcc on PATH"):
        for root, reasons in found_by.items():
            if reason in reasons:
                return root, reason if reason == "nvcc on PATH" else f"{reason}={host.env.get(reason)}"
    if host.exists("/usr/local/cuda"):
        real = host.realpath("/usr/local/cuda")
        if real in found_by:
            return real, "the /usr/local/cuda link"
    return None, None
