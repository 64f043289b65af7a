"""Level Zero, the Intel GPU compute runtime, oneAPI installations and XPU wheels.

Versions come from file names (libze_loader.so.1.17.6 is Level Zero loader
1.17.6; libze_intel_gpu.so.1.3.29735 is compute-runtime's Level Zero driver)
and from oneAPI's /opt/intel/oneapi/<component>/<version> layout, whose
``latest`` links name the version a setvars.sh run selects.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from accelctl.host.base import HostError
from accelctl.inventory.intel import OneApiInstall

LIB_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib", "/lib/x86_64-linux-gnu",
            "/opt/intel/oneapi/redist/lib")
ONEAPI_ROOTS = ("/opt/intel/oneapi",)
WHEELS = ("torch", "intel-extension-for-pytorch", "intel-sycl-rt", "intel-cmplr-lib-rt", "intel-cmplr-lib-ur",
          "intel-cmplr-lic-rt", "intel-opencl-rt", "intel-openmp", "intel-pti", "oneccl-bind-pt", "oneccl",
          "oneccl-devel", "impi-rt", "mkl", "onemkl-sycl-blas", "dpcpp-cpp-rt", "tcmlib", "umf", "pytorch-triton-xpu")
_SUFFIX = re.compile(r"\.so\.(\d+(?:\.\d+)+)$")
_VERSION_DIR = re.compile(r"^\d+(?:\.\d+)*$")


def _listing(host: Any, folder: str) -> list[Any]:
    try:
        return list(host.list_dir(folder))
    except HostError:
        return []


def version_of(name: str, prefix: str) -> str | None:
    if not name.startswith(prefix):
        return None
    m = _SUFFIX.search(name)
    return m.group(1) if m else None


def find_library(host: Any, prefix: str, extra_dirs: list[str]) -> tuple[str | None, str | None]:
    """(path, version) of the fullest-versioned ``prefix*`` file in the library folders."""
    best: tuple[str | None, str | None] = (None, None)
    for folder in list(extra_dirs) + list(LIB_DIRS):
        for e in _listing(host, folder):
            v = version_of(e.name, prefix)
            if v and (best[1] is None or _key(v) > _key(best[1])):
                best = (posixpath.join(folder, e.name), v)
        if best[0]:
            return best
    return best


def _key(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split(".") if p.isdigit())


def oneapi_installs(host: Any) -> list[OneApiInstall]:
    roots = list(ONEAPI_ROOTS)
    env_root = host.env.get("ONEAPI_ROOT")
    if env_root and env_root.startswith("/") and env_root.rstrip("/") not in roots:
        roots.append(env_root.rstrip("/"))
    out = []
    for root in roots:
        components: dict[str, str] = {}
        latest: dict[str, str] = {}
        for comp in _listing(host, root):
            if not comp.is_dir or comp.name in ("licensing", "installer", "conda_channel", "logs"):
                continue
            folder = posixpath.join(root, comp.name)
            versions = [e.name for e in _listing(host, folder) if _VERSION_DIR.match(e.name)]
            link = host.readlink(posixpath.join(folder, "latest"))
            if link:
                target = posixpath.basename(link.rstrip("/"))
                if _VERSION_DIR.match(target):
                    latest[comp.name] = target
            if versions:
                components[comp.name] = max(versions, key=_key)
        if components:
            out.append(OneApiInstall(path=root, components=dict(sorted(components.items())),
                                     latest=dict(sorted(latest.items()))))
    return out


def wheels(penvs: list[Any]) -> tuple[dict[str, str], str | None]:
    """Intel XPU distributions of the first environment that has any (torch only if it is a +xpu build)."""
    for penv in penvs:
        found: dict[str, str] = {}
        for d in getattr(penv, "distributions", []):
            name = d.name.lower().replace("_", "-")
            if name in WHEELS and (name != "torch" or "+xpu" in d.version):
                found[name] = d.version
        if set(found) - {"mkl", "intel-openmp", "tcmlib", "umf"}:
            return dict(sorted(found.items())), getattr(penv, "prefix", None) or getattr(penv, "interpreter", None)
    return {}, None
