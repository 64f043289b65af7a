"""ROCm installations and the ROCm libraries framework wheels bundle.

Versions come from files only (no rocminfo/hipcc runs): rocm-core's
``.info/version`` and ``include/rocm-core/rocm_version.h``, the component
version headers, and the version suffixes of shared-library file names
(``libamdhip64.so.6.2.60200``).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from accelctl.host.base import HostError
from accelctl.inventory.amd import RocmBundle, RocmInstall

# component -> (header relative to the root, macro prefix, library file prefix)
COMPONENTS: dict[str, tuple[str, str, str]] = {
    "hip": ("include/hip/hip_version.h", "HIP_VERSION_", "libamdhip64.so."),
    "rccl": ("include/rccl/rccl.h", "NCCL_", "librccl.so."),
    "miopen": ("include/miopen/version.h", "MIOPEN_VERSION_", "libMIOpen.so."),
    "rocblas": ("include/rocblas/internal/rocblas-version.h", "ROCBLAS_VERSION_", "librocblas.so."),
    "hipblaslt": ("include/hipblaslt/hipblaslt-version.h", "HIPBLASLT_VERSION_", "libhipblaslt.so."),
}
# what a +rocm torch wheel bundles in torch/lib (names as the wheels ship them)
BUNDLED_PREFIXES = ("libamdhip64.so", "librccl.so", "libMIOpen.so", "librocblas.so", "libhipblaslt.so",
                    "libhsa-runtime64.so", "libroctx64.so", "librocm_smi64.so", "libhipblas.so")
_DEFINE = re.compile(r"^\s*#\s*define\s+(\w+)\s+(\d+)\b", re.MULTILINE)
_VERSION_TAIL = re.compile(r"\.so\.(\d+(?:\.\d+)*)$")


def parse_info_version(text: str) -> str | None:
    """rocm-core's .info/version: "6.2.0-66" -> "6.2.0" (the build number is dropped)."""
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    m = re.match(r"^(\d+\.\d+(?:\.\d+)?)", first)
    return m.group(1) if m else None


def parse_header_version(text: str, prefix: str) -> str | None:
    """MAJOR/MINOR/PATCH #defines with ``prefix`` -> "M.m.p" (PATCH may be absent)."""
    defs = {k: v for k, v in _DEFINE.findall(text)}
    major, minor = defs.get(prefix + "MAJOR"), defs.get(prefix + "MINOR")
    if major is None or minor is None:
        return None
    patch = defs.get(prefix + "PATCH")
    return f"{major}.{minor}" + (f".{patch}" if patch is not None else "")


def version_from_file_name(name: str) -> str | None:
    m = _VERSION_TAIL.search(name)
    return m.group(1) if m else None


def _listing(host: Any, folder: str) -> list[str]:
    try:
        return [e.name for e in host.list_dir(folder)]
    except HostError:
        return []


def _longest(names: list[str], prefix: str) -> str | None:
    versions = [v for v in (version_from_file_name(n) for n in names if n.startswith(prefix)) if v]
    return max(versions, key=lambda v: (v.count("."), len(v))) if versions else None


def candidate_roots(host: Any) -> list[tuple[str, str]]:
    """(path, why) of every ROCm root: /opt/rocm*, ROCM_PATH/HIP_PATH."""
    out: list[tuple[str, str]] = []
    for name in sorted(_listing(host, "/opt")):
        if name == "rocm" or name.startswith("rocm-"):
            out.append((posixpath.join("/opt", name), "/opt"))
    for var in ("ROCM_PATH", "ROCM_HOME", "HIP_PATH"):
        value = host.env.get(var)
        if value and value.startswith("/"):
            out.append((value.rstrip("/") or "/", var))
    return out


def describe(host: Any, root: str) -> RocmInstall:
    version, source = None, ""
    for rel, parse in ((".info/version", parse_info_version),
                       ("include/rocm-core/rocm_version.h", lambda t: parse_header_version(t, "ROCM_VERSION_"))):
        try:
            version = parse(host.read_text(posixpath.join(root, rel), 64 << 10))
        except HostError:
            continue
        if version:
            source = rel
            break
    if version is None:
        m = re.match(r"^rocm-(\d+\.\d+(?:\.\d+)?)", posixpath.basename(root))
        if m:
            version, source = m.group(1), "folder name"
    libs = _listing(host, posixpath.join(root, "lib"))
    components: dict[str, str] = {}
    for name, (header, prefix, lib_prefix) in COMPONENTS.items():
        found = None
        try:
            found = parse_header_version(host.read_text(posixpath.join(root, header), 256 << 10), prefix)
        except HostError:
            pass
        found = found or _longest(libs, lib_prefix)
        if found:
            components[name] = found
    return RocmInstall(path=root, version=version, version_source=source, components=components)


def installs(host: Any) -> list[RocmInstall]:
    """Every distinct ROCm root; the active one is ROCM_PATH's, else where /opt/rocm points."""
    seen: dict[str, list[str]] = {}
    for path, why in candidate_roots(host):
        if not host.is_dir(path):
            continue
        real = host.realpath(path)
        if looks_like_rocm(host, real):
            seen.setdefault(real, []).append(f"{why}:{path}")
    active, because = None, None
    for var in ("ROCM_PATH", "ROCM_HOME", "HIP_PATH"):
        value = host.env.get(var)
        if value and host.is_dir(value):
            active, because = host.realpath(value), f"{var}={value}"
            break
    if active is None and host.is_dir("/opt/rocm"):
        active, because = host.realpath("/opt/rocm"), "/opt/rocm link" if host.readlink("/opt/rocm") else "/opt/rocm"
    out = []
    for real in seen:
        info = describe(host, real)
        is_active = real == active
        out.append(RocmInstall(info.path, info.version, info.version_source, is_active, info.components,
                               because if is_active else None))
    return out


def looks_like_rocm(host: Any, root: str) -> bool:
    return any(host.exists(posixpath.join(root, rel)) for rel in
               (".info/version", "include/rocm-core/rocm_version.h", "include/hip/hip_version.h", "lib", "bin/rocminfo"))


def bundled(host: Any, penvs: list[Any]) -> list[RocmBundle]:
    """ROCm libraries inside torch wheels (a ``+rocm`` local version, or libamdhip64 in torch/lib)."""
    out: list[RocmBundle] = []
    for penv in penvs:
        torch = next((d for d in getattr(penv, "distributions", []) if d.name.lower() == "torch"), None)
        for site in getattr(penv, "site_packages", []):
            lib_dir = posixpath.join(site, "torch", "lib")
            names = _listing(host, lib_dir)
            hits = {n: (version_from_file_name(n) or "") for n in names if n.startswith(BUNDLED_PREFIXES)}
            if not hits:
                continue
            out.append(RocmBundle(environment=site, distribution="torch",
                                  version=torch.version if torch else "", libraries=dict(sorted(hits.items()))))
    return out


def read_driver(host: Any) -> tuple[str | None, str, str | None]:
    """(version, source, kind): /sys/module/amdgpu/version exists only for the DKMS (amdgpu-dkms) build."""
    try:
        text = host.read_text("/sys/module/amdgpu/version", 4096).strip()
    except HostError:
        text = ""
    if text:
        return text, "/sys/module/amdgpu/version", "dkms"
    if host.is_dir("/sys/module/amdgpu"):
        return None, "", "inbox"
    return None, "", None


def rocm_release_of_dkms(version: str) -> str | None:
    """The ROCm release an amdgpu-dkms package version names: "1:6.2.4.50700-1652687.22.04" -> "5.7.0".

    AMD's packages append the ROCm release as MAJOR*10000 + MINOR*100 + PATCH to the driver's own
    version (amdgpu-dkms 1:6.2.4.50700 installed with rocm-dkms 5.7.1.50701, as a dpkg log in
    https://github.com/nktice/AMD-AI/issues/1 shows). Other shapes give None: not guessed.
    """
    upstream = version.split(":", 1)[-1].split("-", 1)[0]
    last = upstream.rsplit(".", 1)[-1]
    if len(last) != 5 or not last.isdigit() or upstream.count(".") < 3:
        return None
    n = int(last)
    return f"{n // 10000}.{(n // 100) % 100}.{n % 100}"


def read_dkms_package(host: Any) -> str | None:
    """The installed amdgpu-dkms version from dpkg's database; None on other package managers or when absent."""
    from accelctl.probes.other_accel import parse_dpkg_status

    try:
        text = host.read_text("/var/lib/dpkg/status", 32 << 20)
    except HostError:
        return None
    return parse_dpkg_status(text, ("amdgpu-dkms",)).get("amdgpu-dkms")
