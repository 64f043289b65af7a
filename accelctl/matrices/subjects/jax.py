"""JAX releases: the jaxlib they need and how each CUDA major is delivered.

Since jax 0.4.22 NVIDIA support comes as ``jax-cudaNN-plugin`` (plus
``jax-cudaNN-pjrt`` from 0.4.23), released in lockstep with ``jaxlib``; the
``jax[cudaNN]`` extra pins jaxlib and the plugin to one version and the
plugin's ``with-cuda`` extra (or, up to 0.4.29, jax's own extra) pins the
NVIDIA wheels (cuDNN, NCCL, CUDA runtime...). Before that, CUDA builds were
monolithic ``jaxlib==X+cudaNN.cudnnMM`` wheels served from Google's storage,
not PyPI. Used by the framework rules (FW002 jax-plugin-mismatch and the
framework/driver checks).
"""

from __future__ import annotations

from dataclasses import field

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from accelctl.matrices.base import CC, DRIVER, SPECIFIER, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record

STACK_KINDS = ("plugin", "jaxlib-local")


@record(frozen=True)
class JaxCudaStack:
    """How one CUDA major version is installed for one jax release."""

    cuda_major: int
    # "plugin": jax-cudaNN-plugin (+ jax-cudaNN-pjrt) wheels on PyPI;
    # "jaxlib-local": a monolithic jaxlib "+cudaNN.cudnnMM" wheel from Google's storage (not PyPI).
    kind: str
    extra: str  # the jax extra that installs this stack with pip-installed NVIDIA libraries
    jaxlib: str | None = field(default=None, metadata={"kind": VERSION})  # exact jaxlib the extra pins
    # The jax-cudaNN-plugin on PyPI released in lockstep with ``jaxlib`` (same version).
    plugin: str | None = field(default=None, metadata={"kind": VERSION})
    # What the jax extra accepts for the plugin; wider than the lockstep version for a few releases (0.4.35, 0.4.37, 0.5.2).
    plugin_allowed: str | None = field(default=None, metadata={"kind": SPECIFIER})
    pjrt: str | None = field(default=None, metadata={"kind": VERSION})  # jax-cudaNN-pjrt the plugin requires
    # Specifiers on the NVIDIA wheels (nvidia-cuda-runtime*, nvidia-cudnn-*, nvidia-nccl-*).
    cuda: str | None = field(default=None, metadata={"kind": SPECIFIER})
    cudnn: str | None = field(default=None, metadata={"kind": SPECIFIER})
    nccl: str | None = field(default=None, metadata={"kind": SPECIFIER})
    pins: dict[str, str] = field(default_factory=dict)  # every nvidia-* requirement -> its specifier ("" = any)
    pins_from: str | None = None  # which METADATA carried the pins, e.g. "jax-cuda12-plugin[with-cuda]==0.8.0"
    # From the installation docs of that release (docs/installation.md at the jax tag).
    built_with_cuda: str | None = field(default=None, metadata={"kind": VERSION})
    built_with_cudnn: str | None = field(default=None, metadata={"kind": VERSION})
    min_driver: str | None = field(default=None, metadata={"kind": DRIVER})
    min_cc: str | None = field(default=None, metadata={"kind": CC})


@record(frozen=True)
class JaxRelease:
    """One jax release on PyPI."""

    jax: str = field(metadata={"kind": VERSION})
    python: str = field(metadata={"kind": SPECIFIER})  # jax's Requires-Python
    # jax's unconditional Requires-Dist on jaxlib; null up to 0.4.29 (jax did not depend on jaxlib then).
    jaxlib: str | None = field(default=None, metadata={"kind": SPECIFIER})
    jaxlib_min: str | None = field(default=None, metadata={"kind": VERSION})  # the 'minimum-jaxlib' extra
    # The jaxlib released with this jax (pinned by its cuda12 / cpu extra); may be older (jax 0.4.37 -> 0.4.36).
    jaxlib_paired: str | None = field(default=None, metadata={"kind": VERSION})
    jaxlib_pythons: list[str] = field(default_factory=list)  # CPython versions with a Linux x86_64 jaxlib wheel
    cuda: list[JaxCudaStack] = field(default_factory=list)
    provenance: Provenance = UNSOURCED


def _check(entries: list[JaxRelease], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        v = Version(e.jax)
        if v in seen:
            errors.add(i, "jax", f"duplicate release {e.jax}")
        seen.add(v)
        majors = set()
        for j, s in enumerate(e.cuda):
            where = f"cuda[{j}]"
            if s.kind not in STACK_KINDS:
                errors.add(i, f"{where}.kind", f"must be one of {', '.join(STACK_KINDS)}, got {s.kind!r}")
            if (s.cuda_major, s.kind) in majors:
                errors.add(i, where, f"two {s.kind} stacks for CUDA {s.cuda_major}")
            majors.add((s.cuda_major, s.kind))
            if s.kind == "plugin":
                if s.plugin is None:
                    errors.add(i, f"{where}.plugin", "a plugin stack names its plugin version")
                # The plugin is released in lockstep with jaxlib (and requires pjrt == itself).
                if s.plugin and s.jaxlib and Version(s.plugin) != Version(s.jaxlib):
                    errors.add(i, f"{where}.plugin", f"plugin {s.plugin} differs from the paired jaxlib {s.jaxlib}")
                if s.plugin and s.plugin_allowed and not SpecifierSet(s.plugin_allowed).contains(s.plugin, prereleases=True):
                    errors.add(i, f"{where}.plugin", f"{s.plugin} is outside what the extra allows ({s.plugin_allowed})")
                if s.plugin and s.pjrt and Version(s.plugin) != Version(s.pjrt):
                    errors.add(i, f"{where}.pjrt", f"pjrt {s.pjrt} differs from plugin {s.plugin}")
            for name, spec in s.pins.items():
                try:
                    SpecifierSet(spec)
                except (InvalidSpecifier, TypeError):
                    errors.add(i, f"{where}.pins.{name}", f"not a version specifier: {spec!r}")
        if e.jaxlib and e.jaxlib_paired and not SpecifierSet(e.jaxlib).contains(e.jaxlib_paired, prereleases=True):
            errors.add(i, "jaxlib_paired", f"{e.jaxlib_paired} does not satisfy jax's own jaxlib{e.jaxlib}")


SPEC: MatrixSpec[JaxRelease] = MatrixSpec(name="jax", entry_type=JaxRelease, check=_check, key=lambda e: e.jax)


def release(entries: list[JaxRelease], jax: str) -> JaxRelease | None:
    """The entry for one jax version (PEP 440 equality, so "0.4.30" == "0.4.30.0"), or None."""
    want = Version(jax)
    for e in entries:
        if Version(e.jax) == want:
            return e
    return None


def jaxlib_for(entries: list[JaxRelease], jax: str) -> str | None:
    """The jaxlib version released alongside ``jax`` (what ``jax[cuda12]`` installs), or None if unknown."""
    e = release(entries, jax)
    return e.jaxlib_paired if e else None


def jaxlib_compatible(entries: list[JaxRelease], jax: str, jaxlib: str) -> bool | None:
    """Whether ``jaxlib`` satisfies what ``jax`` declares.

    Uses jax's Requires-Dist on jaxlib when it has one, else the 'minimum-jaxlib'
    extra as a lower bound; None when the release is unknown or declares neither.
    """
    e = release(entries, jax)
    if e is None:
        return None
    have = Version(jaxlib).public if Version(jaxlib).local else jaxlib  # "0.4.20+cuda12.cudnn89" -> "0.4.20"
    if e.jaxlib:
        return SpecifierSet(e.jaxlib).contains(have, prereleases=True)
    if e.jaxlib_min:
        return Version(have) >= Version(e.jaxlib_min)
    return None


def plugin_pins(entries: list[JaxRelease], jax: str, cuda_major: int) -> JaxCudaStack | None:
    """The CUDA stack for ``jax`` and one CUDA major (PyPI plugin preferred), or None if there is none."""
    e = release(entries, jax)
    if e is None:
        return None
    stacks = [s for s in e.cuda if s.cuda_major == cuda_major]
    stacks.sort(key=lambda s: s.kind != "plugin")
    return stacks[0] if stacks else None


def plugin_version_for(entries: list[JaxRelease], jax: str, cuda_major: int) -> str | None:
    """The jax-cudaNN-plugin version ``jax[cudaNN]`` installs, or None when no PyPI plugin exists."""
    s = plugin_pins(entries, jax, cuda_major)
    return s.plugin if s is not None and s.kind == "plugin" else None


def cuda_majors(entries: list[JaxRelease], jax: str) -> list[int]:
    """CUDA majors that have a PyPI plugin for ``jax``, ascending."""
    e = release(entries, jax)
    if e is None:
        return []
    return sorted({s.cuda_major for s in e.cuda if s.kind == "plugin" and s.plugin})


def min_driver_for(entries: list[JaxRelease], jax: str, cuda_major: int) -> str | None:
    """Minimum Linux NVIDIA driver the jax installation docs state for this release and CUDA major."""
    s = plugin_pins(entries, jax, cuda_major)
    return s.min_driver if s else None


def release_for_plugin(entries: list[JaxRelease], plugin_version: str, cuda_major: int) -> list[JaxRelease]:
    """jax releases whose ``cudaNN`` extra installs this plugin version (several when jax re-released)."""
    want = Version(plugin_version)
    return [
        e
        for e in entries
        for s in e.cuda
        if s.cuda_major == cuda_major and s.kind == "plugin" and s.plugin and Version(s.plugin) == want
    ]
