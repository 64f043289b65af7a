"""python -m tools.refresh --new-releases: registry releases newer than the newest the matrices know.

The matrices are read when someone reads their sources; releases keep coming. This asks the
package registry, through pip's own ``pip index versions`` (so its index configuration applies),
for the versions of the packages the matrices speak of, and lists those newer than anything the
matrices record. It writes nothing: a listed release is a reminder to read its sources and add
the entries. Network is needed here only, never by the doctor.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

PACKAGES = ("torch", "torchvision", "torchaudio", "vllm", "jax", "jaxlib", "jax-cuda12-plugin", "jax-cuda13-plugin",
            "nvidia-nccl-cu12", "nvidia-nccl-cu13", "nvidia-cudnn-cu12", "nvidia-cudnn-cu13", "onnxruntime-gpu",
            "cupy-cuda12x", "cupy-cuda13x")

Registry = Callable[[str], "list[str] | None"]  # package -> its released versions; None when the registry did not answer


@dataclass
class Known:
    """What the matrices record of one package: exact versions, and release prefixes they cover whole."""

    versions: set[Version] = field(default_factory=set)
    series: set[tuple[int, ...]] = field(default_factory=set)  # (1, 20): every 1.20.x; (14,): every 14.x

    def add(self, text: str | None) -> None:
        version = _version(text)
        if version is not None:
            self.versions.add(version)

    def newer(self, version: Version) -> bool:
        """Whether ``version`` is past everything recorded (a covered series counts as recorded)."""
        if any(version.release[:len(p)] == p for p in self.series):
            return False
        if self.versions and version <= max(self.versions):
            return False
        return all(version.release[:len(p)] > p for p in self.series)

    def newest(self) -> str:
        parts = [str(max(self.versions))] if self.versions else []
        parts += [".".join(map(str, p)) + ".*" for p in sorted(self.series)[-1:]]
        return " / ".join(parts) or "none"


def _version(text: str | None) -> Version | None:
    if not text:
        return None
    try:
        return Version(text.strip().lstrip("=~").split("+", 1)[0])
    except InvalidVersion:
        return None


def _pins(known: dict[str, Known], pins: dict[str, str] | None) -> None:
    for name, spec in (pins or {}).items():
        if "," not in spec and not spec.startswith((">", "<", "!")):
            known.setdefault(canonicalize_name(name), Known()).add(spec)


def known_versions(matrices) -> dict[str, Known]:
    """Every version of a package in PACKAGES (and every pinned nvidia-* wheel) the matrices record."""
    known: dict[str, Known] = {}

    def of(name: str) -> Known:
        return known.setdefault(canonicalize_name(name), Known())

    for build in matrices.entries_or_empty("pytorch"):
        of("torch").add(build.torch)
        _pins(known, build.pins)
    for pair in matrices.entries_or_empty("torch_companions"):
        for v in pair.torchvision:
            of("torchvision").add(v)
        for v in pair.torchaudio:
            of("torchaudio").add(v)
    for release in matrices.entries_or_empty("vllm"):
        of("vllm").add(release.vllm)
    for release in matrices.entries_or_empty("jax"):
        of("jax").add(release.jax)
        of("jaxlib").add(release.jaxlib_paired)
        for stack in release.cuda:
            of(f"jax-cuda{stack.cuda_major}-plugin").add(stack.plugin)
            of("jaxlib").add(stack.jaxlib)
            _pins(known, {k: v for k, v in stack.pins.items() if v.startswith("==")})
    for release in matrices.entries_or_empty("onnxruntime_gpu"):
        v = _version(release.onnxruntime)
        if v is not None and release.series:
            of("onnxruntime-gpu").series.add(v.release[:2])
        else:
            of("onnxruntime-gpu").add(release.onnxruntime)
    for entry in matrices.entries_or_empty("nvidia_libraries"):
        if entry.wheel:
            of(entry.wheel).add(entry.last_version)
            of(entry.wheel).add(entry.first_version)
        for build in entry.builds:
            if build.wheel:
                of(build.wheel).add(build.wheel_version)
    for entry in matrices.entries_or_empty("cupy"):
        if entry.kind == "release" and entry.cupy_major is not None:
            for package in entry.packages:
                of(package).series.add((entry.cupy_major,))
    return known


_AVAILABLE = re.compile(r"^Available versions:\s*(.*)$", re.MULTILINE)


def parse_pip_index(text: str) -> list[str] | None:
    """The versions ``pip index versions`` printed, or None when it printed none."""
    m = _AVAILABLE.search(text)
    return [v.strip() for v in m.group(1).split(",") if v.strip()] if m else None


# pip lists only the versions with a distribution for the interpreter it runs on (a jax plugin for a newer
# CPython is hidden from an older one); asking as recent CPythons on Linux x86_64 sees what users install.
_AS_PYTHONS = ("3.11", "3.13")
_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux2014_x86_64", "linux_x86_64")


def pip_registry(name: str) -> list[str] | None:
    """Ask the package registry through pip; None when pip cannot (offline, no such project)."""
    found: list[str] = []
    answered = False
    for python in _AS_PYTHONS:
        command = [sys.executable, "-m", "pip", "index", "versions", name, "--disable-pip-version-check",
                   "--python-version", python, "--only-binary=:all:"]
        for platform in _PLATFORMS:
            command += ["--platform", platform]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        versions = parse_pip_index(done.stdout) if done.returncode == 0 else None
        if versions is not None:
            answered = True
            found += [v for v in versions if v not in found]
    return found if answered else None


@dataclass(frozen=True)
class Report:
    package: str
    newest_known: str
    new: tuple[str, ...]
    answered: bool


def new_releases(known: dict[str, Known], registry: Registry, packages: Iterable[str] = PACKAGES) -> list[Report]:
    """For each package, the registry's releases (final releases only) newer than the matrices' newest."""
    out = []
    for package in packages:
        versions = registry(package)
        have = known.get(canonicalize_name(package), Known())
        if versions is None:
            out.append(Report(package, have.newest(), (), False))
            continue
        parsed = sorted({v for v in (_version(t) for t in versions) if v is not None and not v.is_prerelease})
        out.append(Report(package, have.newest(), tuple(str(v) for v in parsed if have.newer(v)), True))
    return out


def render(reports: Sequence[Report]) -> list[str]:
    lines = []
    for r in reports:
        if not r.answered:
            lines.append(f"{r.package}: the registry did not answer (newest known: {r.newest_known})")
        elif r.new:
            lines.append(f"{r.package}: {len(r.new)} release(s) newer than the matrices know ({r.newest_known}): "
                         + ", ".join(r.new))
        else:
            lines.append(f"{r.package}: nothing newer than {r.newest_known}")
    return lines


def main(matrices_dir=None, registry: Registry = pip_registry, out=sys.stdout) -> int:
    """Print the report; 1 when any package has releases the matrices do not know, else 0."""
    from accelctl.matrices import MatrixSet

    reports = new_releases(known_versions(MatrixSet(base=matrices_dir)), registry)
    for line in render(reports):
        print(line, file=out)
    return 1 if any(r.new for r in reports) else 0
