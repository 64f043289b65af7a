"""Intel GPU (XPU) and CPU PyTorch stacks: IPEX releases, torch +xpu builds, oneAPI runtimes, GPUs.

One entry per release of intel-extension-for-pytorch (IPEX, XPU or CPU
build) or of PyTorch's own ``+xpu`` wheels: the torch release it needs, the
oneAPI (DPC++ runtime) version it was built against, the oneAPI runtime
wheels torch pins, and the Intel GPU families named for it. IPEX refuses to
import unless torch has the same major.minor (its ``__init__`` check). Used
by the Intel rules: IPEX vs torch, oneAPI runtime vs torch +xpu, GPU family.
"""

from __future__ import annotations

from dataclasses import field

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from accelctl.matrices.base import SPECIFIER, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record

PACKAGES = ("intel-extension-for-pytorch", "torch")
DEVICES = ("xpu", "cpu")


@record(frozen=True)
class IntelXpuRelease:
    """One IPEX or torch +xpu release and what it needs."""

    package: str  # "intel-extension-for-pytorch" | "torch"
    version: str = field(metadata={"kind": VERSION})  # "2.8.10+xpu", "2.8.0", "2.7.0+xpu"
    device: str = "xpu"  # "xpu" | "cpu"
    torch: str | None = field(default=None, metadata={"kind": SPECIFIER})  # IPEX only: "==2.8.*"
    torch_build: str | None = None  # the exact torch build the release names ("2.8.0", "2.5.1+cxx11.abi")
    oneapi: str | None = None  # oneAPI DPC++ runtime (dpcpp-cpp-rt) version, Linux: "2025.1", "2025.0.4"
    # PyPI runtime wheels torch +xpu requires on Linux: {"intel-sycl-rt": "2025.0.4", ...}
    runtime_wheels: dict[str, str] = field(default_factory=dict)
    gpus: list[str] | None = None  # Intel GPU families named for the release; null: none read
    driver_min: str | None = None  # minimum Intel GPU driver, where a source states one
    provenance: Provenance = UNSOURCED


def _check(entries: list[IntelXpuRelease], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        if e.package not in PACKAGES:
            errors.add(i, "package", f"must be one of {', '.join(PACKAGES)}")
        if e.device not in DEVICES:
            errors.add(i, "device", f"must be one of {', '.join(DEVICES)}")
        key = (e.package, e.version)
        if key in seen:
            errors.add(i, "version", f"duplicate {e.package} {e.version}")
        seen.add(key)
        if e.package == "intel-extension-for-pytorch" and e.torch is None:
            errors.add(i, "torch", "an IPEX entry needs the torch specifier")
        for name, ver in e.runtime_wheels.items():
            try:
                Version(ver)
            except InvalidVersion:
                errors.add(i, "runtime_wheels", f"{name}: not a version: {ver!r}")


SPEC: MatrixSpec[IntelXpuRelease] = MatrixSpec(name="intel_xpu", entry_type=IntelXpuRelease, check=_check, key=lambda e: f"{e.package}=={e.version}")


def _norm(package: str) -> str:
    name = package.strip().lower().replace("_", "-")
    return "intel-extension-for-pytorch" if name in ("ipex", "intel-extension-for-pytorch") else name


def find(entries: list[IntelXpuRelease], package: str, version: str) -> IntelXpuRelease | None:
    """Exact release; for torch a version without local tag ("2.7.0") finds "2.7.0+xpu"."""
    name = _norm(package)
    try:
        want = Version(version)
    except InvalidVersion:
        return None
    for e in entries:
        if e.package != name:
            continue
        have = Version(e.version)
        if have == want or (name == "torch" and not want.local and have.public == want.public):
            return e
    return None


def ipex_torch_ok(ipex_version: str, torch_version: str) -> bool | None:
    """IPEX's own import rule: torch must have the same major.minor as IPEX.

    Holds for every release (read from intel_extension_for_pytorch/__init__.py);
    None when either version does not parse.
    """
    try:
        a, b = Version(ipex_version), Version(torch_version)
    except InvalidVersion:
        return None
    return a.release[:2] == b.release[:2]


def torch_for_ipex(entries: list[IntelXpuRelease], ipex_version: str) -> str | None:
    """The torch specifier an IPEX release needs ("==2.8.*")."""
    e = find(entries, "intel-extension-for-pytorch", ipex_version)
    return e.torch if e else None


def runtime_ok(entries: list[IntelXpuRelease], torch_version: str, wheel: str, installed: str) -> bool | None:
    """Is an installed oneAPI runtime wheel the one torch +xpu pins (exact match).

    None when the torch build or its pin for that wheel is unknown.
    """
    e = find(entries, "torch", torch_version)
    if e is None or wheel not in e.runtime_wheels:
        return None
    try:
        return Version(installed) in SpecifierSet(f"=={e.runtime_wheels[wheel]}")
    except InvalidVersion:
        return None
