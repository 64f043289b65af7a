"""Copies of the CUDA libraries frameworks load, everywhere the loader or a framework looks.

Places: the ld.so.cache (read directly), LD_LIBRARY_PATH, the standard and
driver folders, every CUDA toolkit, site-packages/nvidia/*/lib of each Python
environment (with the wheel that ships it), $CONDA_PREFIX/lib, and libraries
bundled in framework wheels (torch/lib). Versions come from the wheel's
dist-info, the file name (libcudnn.so.9.14.0), and the headers next to the copy
(cudnn_version.h CUDNN_MAJOR/MINOR/PATCHLEVEL, nccl.h NCCL_MAJOR/MINOR/PATCH).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from typing import Any

from accelctl.host.base import HostError
from accelctl.inventory.nvidia import NativeLibrary

# library -> (file name pattern of the main library, soname stem)
LIBRARIES: dict[str, str] = {
    "cudart": r"libcudart\.so\.\d+(?:\.\d+)*",
    "cublas": r"libcublas\.so\.\d+(?:\.\d+)*",
    "cudnn": r"libcudnn\.so\.\d+(?:\.\d+)*",
    "nccl": r"libnccl\.so\.\d+(?:\.\d+)*",
    "cusparselt": r"libcusparseLt\.so\.\d+(?:\.\d+)*",
    "nvjitlink": r"libnvJitLink\.so\.\d+(?:\.\d+)*",
    "tensorrt": r"libnvinfer\.so\.\d+(?:\.\d+)*",
}
_ANY_LIBRARY = re.compile("^(?:" + "|".join(f"(?P<{name}>{pat})" for name, pat in LIBRARIES.items()) + ")$")
# Which wheels ship which library (when RECORD is not there to say): normalised name prefixes.
WHEEL_PREFIXES = {
    "cudart": ("nvidia-cuda-runtime",), "cublas": ("nvidia-cublas",), "cudnn": ("nvidia-cudnn",),
    "nccl": ("nvidia-nccl",), "cusparselt": ("nvidia-cusparselt",), "nvjitlink": ("nvidia-nvjitlink",),
    "tensorrt": ("tensorrt-cu", "tensorrt-lib", "tensorrt"),
}
STANDARD_DIRS = ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib",
                 "/usr/lib/aarch64-linux-gnu", "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib")
_HEADER_DEFINE = re.compile(r"^#define\s+(\w+)\s+(\d+)\s*$", re.MULTILINE)


# soname stem -> library, for every library a framework loads that a finding can name (sub-libraries
# included: libcudnn_graph.so.9 is cuDNN, libcublasLt.so.13 is cuBLAS). Longest stems first.
FAMILIES = (("libcublasLt", "cublas"), ("libcublas", "cublas"), ("libcudnn", "cudnn"), ("libcudart", "cudart"),
            ("libnccl", "nccl"), ("libcusparseLt", "cusparselt"), ("libnvJitLink", "nvjitlink"),
            ("libnvinfer", "tensorrt"))


def family_of(soname: str) -> str | None:
    """libcudnn_graph.so.9 -> cudnn; libcublasLt.so.13 -> cublas; None for a library not followed."""
    stem = posixpath.basename(soname).split(".so", 1)[0]
    for prefix, library in FAMILIES:
        if stem == prefix or stem.startswith(prefix + "_"):
            return library
    return None


def is_library_name(file_name: str) -> bool:
    """Whether ``classify`` would name it: one pattern, for filtering big folders before any stat."""
    return _ANY_LIBRARY.match(file_name) is not None


def classify(file_name: str) -> str | None:
    m = _ANY_LIBRARY.match(file_name)
    return m.lastgroup if m is not None else None


def soname_of(file_name: str) -> str:
    """libcudnn.so.9.14.0 -> libcudnn.so.9 (the major soname these libraries use)."""
    m = re.match(r"^(.*\.so\.\d+)", file_name)
    return m.group(1) if m else file_name


def file_version(file_name: str) -> str | None:
    """The full version a file name carries beyond its soname: libnccl.so.2.28.3 -> 2.28.3."""
    m = re.match(r"^.*\.so\.(\d+(?:\.\d+){1,3})$", file_name)
    return m.group(1) if m else None


def parse_header_version(text: str, library: str) -> str | None:
    """cudnn_version.h / nccl.h -> "9.14.0" / "2.28.3"."""
    defs = dict(_HEADER_DEFINE.findall(text))
    keys = {"cudnn": ("CUDNN_MAJOR", "CUDNN_MINOR", "CUDNN_PATCHLEVEL"), "nccl": ("NCCL_MAJOR", "NCCL_MINOR", "NCCL_PATCH")}
    names = keys.get(library)
    if not names or not all(k in defs for k in names):
        return None
    return ".".join(defs[k] for k in names)


def header_candidates(lib_dir: str, library: str) -> list[str]:
    """Where the header of the copy in ``lib_dir`` lives (wheel, toolkit or distribution layout)."""
    header = {"cudnn": "cudnn_version.h", "nccl": "nccl.h"}.get(library)
    if not header:
        return []
    parent = posixpath.dirname(lib_dir)
    out = [posixpath.join(parent, "include", header)]
    if lib_dir.rstrip("/").endswith("-linux-gnu"):  # Debian/Ubuntu multiarch packages
        triplet = posixpath.basename(lib_dir.rstrip("/"))
        out += [f"/usr/include/{triplet}/{header}", f"/usr/include/{header}"]
    elif lib_dir.startswith(("/usr/lib", "/lib")):
        out.append(f"/usr/include/{header}")
    return out


class LibraryScanner:
    """Collects one NativeLibrary per real file; folders are listed once."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.found: dict[str, NativeLibrary] = {}  # realpath -> library
        self.order: list[str] = []
        self._listed: dict[str, list[Any]] = {}
        self._libraries_in: dict[str, list[Any]] = {}
        self._headers: dict[str, str | None] = {}

    def listing(self, folder: str) -> list[Any]:
        if folder not in self._listed:
            try:
                self._listed[folder] = self.host.list_dir(folder)
            except HostError:
                self._listed[folder] = []
        return self._listed[folder]

    def header_version(self, lib_dir: str, library: str) -> tuple[str | None, str | None]:
        for path in header_candidates(lib_dir, library):
            if path not in self._headers:
                try:
                    self._headers[path] = parse_header_version(self.host.read_text(path, 256 << 10), library)
                except HostError:
                    self._headers[path] = None
            if self._headers[path]:
                return self._headers[path], path
        return None, None

    def scan_dir(self, folder: str, origin: str, provider: tuple[str, str] | None = None,
                 dists: Iterable[Any] = ()) -> None:
        if folder not in self._libraries_in:
            try:
                self._libraries_in[folder] = self.host.list_dir(folder, is_library_name)
            except HostError:
                self._libraries_in[folder] = []
        for entry in self._libraries_in[folder]:
            if entry.is_dir:
                continue
            library = classify(entry.name)
            if library:
                self.add(posixpath.join(folder, entry.name), library, origin, provider, dists)

    def add(self, path: str, library: str, origin: str, provider: tuple[str, str] | None = None,
            dists: Iterable[Any] = ()) -> NativeLibrary | None:
        real = self.host.realpath(path)
        if real in self.found or not self.host.is_file(real):
            return self.found.get(real)
        lib = self.describe(path, library, origin, provider, dists)
        self.found[real] = lib
        self.order.append(real)
        return lib

    def describe(self, path: str, library: str, origin: str, provider: tuple[str, str] | None = None,
                 dists: Iterable[Any] = ()) -> NativeLibrary:
        """One copy with its version (wheel dist-info, file name, header next to it), not recorded."""
        host = self.host
        real = host.realpath(path)
        name = posixpath.basename(real)
        folder = posixpath.dirname(path)
        fver = file_version(name) or file_version(posixpath.basename(path))
        hver, hpath = self.header_version(folder, library)
        if provider is None and origin == "wheel":
            provider = wheel_provider(library, dists)
        version, sources = None, []
        if provider:
            version = provider[1]
            sources.append(f"{provider[0]} {provider[1]} dist-info")
        if version is None and fver and fver.count(".") >= 1:
            version = fver
            sources.append(f"file name {name}")
        if version is None and hver:
            version = hver
        if hver:
            sources.append(f"{hpath}")
        lib = NativeLibrary(name=library, path=real, version=version, soname=soname_of(posixpath.basename(path)),
                            origin=origin, provider=provider[0] if provider else None,
                            source=", ".join(sources) or "file name", header_version=hver, file_version=fver)
        return lib

    def libraries(self) -> list[NativeLibrary]:
        return [self.found[p] for p in self.order]


def wheel_provider(library: str, dists: Iterable[Any]) -> tuple[str, str] | None:
    """(distribution, version) of the wheel that ships ``library``, by its name."""
    prefixes = WHEEL_PREFIXES.get(library, ())
    for d in dists:
        norm = d.name.lower().replace("_", "-").replace(".", "-")
        if norm.startswith(prefixes):
            return d.name, d.version
    return None


def origin_of(path: str, toolkit_roots: list[str]) -> str:
    if "/site-packages/" in path or "/dist-packages/" in path:
        return "wheel"
    if "/compat/" in path:
        return "compat"
    if any(path.startswith(r.rstrip("/") + "/") for r in toolkit_roots) or path.startswith("/usr/local/cuda"):
        return "toolkit"
    if path.startswith("/usr/local/nvidia/"):
        return "driver"
    return "system"
