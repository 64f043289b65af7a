"""torch: which build is installed, what it was built for, what it pins, and what it bundles.

Facts come from files only, strongest first:

1. the local version tag (``2.5.1+cu124``) of ``torch/version.py``'s
   ``__version__`` or of METADATA (PyPI wheels carry none in METADATA, but their
   generated ``torch/version.py`` does: ``2.11.0+cu130``);
2. ``torch/version.py``'s ``cuda`` / ``hip`` / ``rocm`` / ``xpu`` values, written at
   build time by pytorch's tools/generate_torch_version.py;
3. the Requires-Dist pins (``nvidia-cuda-runtime-cu12==12.4.127`` -> CUDA 12.4,
   ``cuda-toolkit[...]==13.0.2`` -> CUDA 13.0, ``nvidia-*-cu13`` -> CUDA 13).

Compiled GPU architectures are read from the fatbin of
``torch/lib/libtorch_cuda.so`` when asked (``--scan-fatbins``); what the
pytorch matrix knows (an official build's architectures, the PyPI default of a
release with no build record) is added by ``accelctl.derive``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import replace

from accelctl.host.base import Host, HostError
from accelctl.inventory.python_env import Distribution, FrameworkInfo, PythonEnvironment
from accelctl.probes.frameworks import fatbin
from accelctl.probes.frameworks.common import MarkerEnv, base_info, runtime_from_local, split_local
from accelctl.probes.frameworks.cuda_wheels import runtime_from_pins

_ASSIGN = re.compile(r"^(__version__|cuda|hip|rocm|xpu)\s*(?::[^=]*)?=\s*(?:'([^']*)'|\"([^\"]*)\"|None)\s*$", re.MULTILINE)
Unknown = Callable[[str, str], None]


def parse_version_py(text: str) -> dict[str, str | None]:
    """Values of torch/version.py: {"__version__": "2.11.0+cu130", "cuda": "13.0", "hip": None, ...}."""
    out: dict[str, str | None] = {}
    for m in _ASSIGN.finditer(text):
        value = m.group(2) if m.group(2) is not None else m.group(3)
        out[m.group(1)] = value or None
    return out


def runtime_from_version_py(values: dict[str, str | None]) -> tuple[str | None, str | None]:
    """("cuda", "13.0") / ("rocm", "6.2") / ("xpu", None) / ("cpu", None) from torch/version.py values."""
    if values.get("cuda"):
        m = re.match(r"(\d+)\.(\d+)", values["cuda"] or "")
        return "cuda", (f"{m.group(1)}.{m.group(2)}" if m else values["cuda"])
    hip = values.get("rocm") or values.get("hip")
    if hip:
        m = re.match(r"(\d+)\.(\d+)", hip)
        return "rocm", (f"{m.group(1)}.{m.group(2)}" if m else hip)
    if values.get("xpu"):
        return "xpu", None
    if "cuda" in values or "hip" in values:
        return "cpu", None  # every accelerator field was written as None: a CPU build
    return None, None


def variant_name(kind: str | None, version: str | None) -> str | None:
    if kind == "cuda" and version and re.fullmatch(r"\d+\.\d+", version):
        return "cu" + version.replace(".", "")
    if kind == "rocm" and version:
        return "rocm" + version
    if kind in ("cpu", "xpu"):
        return kind
    return None


def package_dir(dist: Distribution, package: str) -> str | None:
    return posixpath.join(posixpath.dirname(dist.location), package) if dist.location else None


def bundled_libraries(host: Host, libdir: str) -> list[str]:
    """SONAMEs (else file names) of the shared libraries shipped in the wheel's lib folder."""
    from accelctl.probes.nvidia.elf import read_elf_dynamic

    try:
        entries = host.list_dir(libdir)
    except HostError:
        return []
    out = []
    for e in sorted(entries, key=lambda e: e.name):
        if e.is_dir or ".so" not in e.name:
            continue
        soname = None
        try:
            soname = read_elf_dynamic(host, posixpath.join(libdir, e.name)).soname
        except Exception:  # noqa: BLE001 - not ELF, unreadable: the file name still says what ships
            soname = None
        out.append(soname or e.name)
    return sorted(set(out))


def read_torch(host: Host, env: PythonEnvironment, dist: Distribution, installed: dict[str, Distribution],
               menv: MarkerEnv, scan_fatbins: bool, unknown: Unknown) -> FrameworkInfo:
    pkg = package_dir(dist, "torch")
    values: dict[str, str | None] = {}
    if pkg:
        try:
            values = parse_version_py(host.read_text(posixpath.join(pkg, "version.py"), 64 << 10))
        except HostError:
            values = {}
    version = values.get("__version__") or dist.version
    if split_local(version)[0] != split_local(dist.version)[0]:
        unknown("torch.version", f"torch/version.py says {version}, METADATA {dist.version}: a mixed install")
        version = dist.version
    info = base_info(dist, env, installed, menv, version=version, name="torch")
    local = split_local(version)[1]
    notes: list[str] = []
    kind = rt_version = variant = None
    source = runtime_source = None
    if local:
        kind, rt_version = runtime_from_local(local)
        if kind:
            variant, source, runtime_source = local, "local version tag", "local version tag"
    vp_kind, vp_version = runtime_from_version_py(values)
    if vp_kind and (kind is None or (kind == vp_kind and rt_version is None)):
        kind, rt_version, runtime_source = vp_kind, vp_version or rt_version, "torch/version.py"
    pin_kind, pin_version, pin_how = runtime_from_pins(info.pins)
    if pin_kind and kind is None:
        kind, rt_version, runtime_source = pin_kind, pin_version, f"metadata pins ({pin_how})"
    elif pin_kind and kind == pin_kind and rt_version is None and pin_version:
        rt_version = pin_version
    elif pin_kind and kind and pin_kind != kind:
        notes.append(f"pins say {pin_kind} ({pin_how}) but the build says {kind}")
    if pin_kind == "cuda" and kind == "cuda" and pin_version and rt_version and pin_version.split(".")[0] != rt_version.split(".")[0]:
        notes.append(f"built for CUDA {rt_version} but pins CUDA {pin_version} wheels ({pin_how})")

    if variant is None and kind:
        variant = variant_name(kind, rt_version)
        source = runtime_source

    archs: list[str] = []
    ptx: list[str] = []
    archs_source = archs_lib = None
    if scan_fatbins and pkg and (kind == "cuda" or (kind is None and host.exists(_cuda_library(pkg)))):
        archs, ptx, archs_source, archs_lib = _scan(host, pkg, unknown)

    libs = bundled_libraries(host, posixpath.join(pkg, "lib")) if pkg else []
    return replace(
        info,
        variant=variant,
        variant_source=source,
        runtime_kind=kind,
        runtime_version=rt_version,
        runtime_source=runtime_source,
        compiled_archs=archs,
        compiled_ptx=ptx,
        archs_source=archs_source,
        archs_library=archs_lib,
        bundled_libraries=libs,
        notes=notes,
        source=info.source + (f", {pkg}/version.py" if values else ""),
    )


def _cuda_library(pkg: str) -> str:
    return posixpath.join(pkg, "lib", "libtorch_cuda.so")


def _scan(host: Host, pkg: str, unknown: Unknown) -> tuple[list[str], list[str], str | None, str | None]:
    lib = _cuda_library(pkg)
    try:
        found = fatbin.scan_file(host, lib)
    except (HostError, fatbin.FatbinError) as exc:
        unknown("torch.compiled_archs", f"fatbin scan of {lib} failed: {exc}")
        return [], [], None, None
    if found is None:
        unknown("torch.compiled_archs", f"{lib} has no .nv_fatbin section")
        return [], [], None, None
    how = "fatbin scan" + ("" if found.complete else " (stopped early: unknown header)")
    return found.sm(), found.compute(), how, lib


