"""Compiled torch extensions (xformers, flash-attn) and the torch they were built for.

xformers wheels on PyPI pin torch in Requires-Dist (exactly, up to 0.0.34;
0.0.35 declares a lower bound). flash-attn publishes only an sdist on PyPI;
its prebuilt Linux wheels are attached to GitHub releases and named
``flash_attn-V+cuMAJORtorchX.YcxxabiBOOL-cpXY-cpXY-linux_x86_64.whl``; the
torch/CUDA/Python combinations come from the release workflow's build matrix
at that tag. Used by the framework pin rules (extension vs installed torch).
"""

from __future__ import annotations

from dataclasses import field

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from accelctl.matrices.base import SPECIFIER, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record

PACKAGES = ("xformers", "flash-attn")


@record(frozen=True)
class ExtensionRelease:
    """One release of a torch extension and the torch builds it targets."""

    package: str  # "xformers" | "flash-attn"
    version: str = field(metadata={"kind": VERSION})
    torch: str | None = field(default=None, metadata={"kind": SPECIFIER})  # torch requirement in Requires-Dist
    # torch versions prebuilt wheels exist for (xformers: the pinned one; flash-attn: matrix of the release workflow).
    torch_builds: list[str] = field(default_factory=list, metadata={"kind": VERSION})
    cuda_builds: list[str] = field(default_factory=list)  # CUDA toolkit versions the release wheels were built with
    cuda_majors: list[int] = field(default_factory=list)  # CUDA majors in the wheel names (flash-attn "+cu12")
    pythons: list[str] = field(default_factory=list)  # CPython versions with wheels
    on_pypi: bool = True  # whether this version is on PyPI (flash-attn: sdist only)
    wheel: str | None = None  # a wheel file name of this release (PyPI, or the pattern on GitHub)
    provenance: Provenance = UNSOURCED


def _check(entries: list[ExtensionRelease], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        if e.package not in PACKAGES:
            errors.add(i, "package", f"must be one of {', '.join(PACKAGES)}, got {e.package!r}")
        key = (e.package, Version(e.version))
        if key in seen:
            errors.add(i, "version", f"duplicate release {e.package} {e.version}")
        seen.add(key)


SPEC: MatrixSpec[ExtensionRelease] = MatrixSpec(name="torch_extensions", entry_type=ExtensionRelease, check=_check, key=lambda e: f"{e.package}=={e.version}")


def _norm(name: str) -> str:
    return name.lower().replace("_", "-")


def release(entries: list[ExtensionRelease], package: str, version: str) -> ExtensionRelease | None:
    """The entry for one package release, or None."""
    want = Version(version)
    for e in entries:
        if _norm(e.package) == _norm(package) and Version(e.version) == want:
            return e
    return None


def torch_for(entries: list[ExtensionRelease], package: str, version: str) -> list[str]:
    """torch versions the release was built for (empty when unknown)."""
    e = release(entries, package, version)
    return list(e.torch_builds) if e else []


def torch_compatible(entries: list[ExtensionRelease], package: str, version: str, torch: str) -> bool | None:
    """Whether an installed torch fits the release; None when the release is unknown.

    Uses the Requires-Dist specifier when there is one, else the build list
    (flash-attn wheels are per torch major.minor, so "2.8.0" matches a "2.8" build).
    Local tags ("+cu128") are ignored.
    """
    e = release(entries, package, version)
    if e is None:
        return None
    have = Version(Version(torch).public)
    if e.torch:
        return SpecifierSet(e.torch).contains(have, prereleases=True)
    if not e.torch_builds:
        return None
    return any(Version(b).release[:2] == have.release[:2] for b in e.torch_builds)
