"""Shared pieces of the framework readers: requirements, markers, wheel tags, one generic FrameworkInfo.

Everything here is pure (no Host): the readers get the environment's
distributions, already read by the python probe, and derive facts from their
metadata alone. Requirement markers are evaluated for the *inspected*
interpreter (PEP 508), never for the Python running accelctl.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion

from accelctl.inventory.python_env import Distribution, FrameworkInfo, PythonEnvironment
from accelctl.names import canonical_name
from accelctl.record import record

if TYPE_CHECKING:
    from packaging.requirements import Requirement

# Distributions that decide whether accelerated code runs; their requirements are what pipcheck looks at.
ACCELERATOR_PACKAGES = frozenset({
    "torch", "torchvision", "torchaudio", "xformers", "vllm", "flash-attn", "flashinfer-python", "deepspeed",
    "bitsandbytes", "triton", "pytorch-triton", "pytorch-triton-rocm", "pytorch-triton-xpu",
    "jax", "jaxlib", "jax-cuda12-plugin", "jax-cuda12-pjrt", "jax-cuda13-plugin", "jax-cuda13-pjrt", "libtpu",
    "tensorflow", "tensorflow-cpu", "tf-keras", "onnxruntime-gpu", "onnxruntime", "intel-extension-for-pytorch",
    "torch-xla", "torch-neuronx", "paddlepaddle-gpu", "tensorrt", "tensorrt-cu12", "tensorrt-cu13",
    "cupy-cuda11x", "cupy-cuda12x", "cupy-cuda13x", "torchao", "cuda-toolkit", "cuda-python", "cuda-bindings",
})
# Requirement names whose pins describe the accelerator stack (kept in FrameworkInfo.pins).
_STACK_PREFIXES = ("nvidia-", "cuda-", "triton", "pytorch-triton", "intel-", "tcmlib", "umf", "onemkl", "dpcpp",
                   "impi", "oneccl", "mkl", "libtpu", "jax", "torch", "tensorflow", "xformers", "flash-attn",
                   "tensorrt", "onnxruntime", "cupy", "neuron", "libneuronxla", "paddle", "vllm", "flashinfer")
_MANYLINUX = re.compile(r"manylinux_(\d+)_(\d+)_(\w+)|manylinux(1|2010|2014)_(\w+)")
_LEGACY_GLIBC = {"1": "2.5", "2010": "2.12", "2014": "2.17"}  # PEP 513 / 571 / 599 aliases
_QUOTED = re.compile(r"""(["'])(.*?)\1""")
_LINUX_PLATFORM = re.compile(r"linux\w*?_(x86_64|aarch64|ppc64le|s390x)$")


@lru_cache(maxsize=16384)
def norm(name: str) -> str:
    """PEP 503 normalised name (remembered: the readers normalise the same few hundred names thousands of times)."""
    return canonical_name(name)


def parse_requirement(line: str) -> Requirement | None:
    """A parsed Requires-Dist line (one cache for the probes and the rules)."""
    from accelctl.requirements import parse_requirement as parse  # brings packaging's parsers

    return parse(line)


_MARKER_TEXTS: dict[int, tuple[Requirement, str]] = {}


def marker_text(req: Requirement) -> str:
    """``str(req.marker)``, remembered per requirement object: formatting a marker is slow.

    Keyed by identity (requirements are shared through ``parse_requirement``'s
    cache); the entry holds the object itself, so an id is never reused while
    its entry lives. Bounded: cleared past 16k entries.
    """
    hit = _MARKER_TEXTS.get(id(req))
    if hit is not None and hit[0] is req:
        return hit[1]
    text = str(req.marker) if req.marker is not None else ""
    if len(_MARKER_TEXTS) > 16384:
        _MARKER_TEXTS.clear()
    _MARKER_TEXTS[id(req)] = (req, text)
    return text


@record
class MarkerEnv:
    """PEP 508 marker values of the inspected interpreter (Linux)."""

    python: str | None  # "3.12.3" or "3.12"
    machine: str | None  # x86_64 | aarch64

    def values(self, extra: str = "") -> dict[str, str]:
        py = self.python or ""
        parts = py.split(".")
        return {
            "python_version": ".".join(parts[:2]),
            "python_full_version": py if len(parts) >= 3 else (py + ".0" if py else ""),
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "sys_platform": "linux",
            "platform_system": "Linux",
            "os_name": "posix",
            "platform_machine": self.machine or "x86_64",
            "platform_release": "",
            "platform_version": "",
            "implementation_version": py,
            "extra": extra,
        }


def applies(req: Requirement, env: MarkerEnv, extras: Iterable[str] = ("",)) -> bool:
    """Whether ``req`` holds for ``env`` under any of ``extras`` ("" = no extra)."""
    if req.marker is None:
        return True
    text = marker_text(req)
    for extra in extras:
        if env.python is None and "python_" in text:
            # The interpreter's version is unknown: decide by the extra alone.
            if ("extra" in text) == bool(extra):
                return True
            continue
        if _evaluate(req, text, env, extra):
            return True
    return False


_EVALUATED: dict[tuple[str, str | None, str | None, str], bool] = {}


def _evaluate(req: Requirement, text: str, env: MarkerEnv, extra: str) -> bool:
    """``req.marker`` for ``env`` and ``extra``, remembered by the marker's text: the same few markers
    (``platform_system == "Linux"``, ``extra == "cuda"``) recur on hundreds of lines. A marker that cannot be
    evaluated counts as holding, so its pin is still checked."""
    key = (text, env.python, env.machine, extra)
    hit = _EVALUATED.get(key)
    if hit is None:
        from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName

        try:
            hit = bool(req.marker.evaluate(env.values(extra)))  # type: ignore[union-attr]
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            hit = True
        if len(_EVALUATED) > 16384:
            _EVALUATED.clear()
        _EVALUATED[key] = hit
    return hit


def extra_only(req: Requirement, extra: str, env: MarkerEnv) -> bool:
    """True when ``req`` applies with ``extra`` but not without any extra."""
    if req.marker is None or not _mentions_extra(marker_text(req), extra):
        return False  # the marker cannot tell this extra from none: same answer both ways
    return applies(req, env, (extra,)) and not applies(req, env, ("",))


@lru_cache(maxsize=8192)
def _mentions_extra(marker: str, extra: str) -> bool:
    """Whether a marker names ``extra`` (compared the way PEP 685 normalises extra names).

    A marker that does not name it evaluates the same with ``extra`` as with no
    extra, so the full evaluation (slow: a meta-package like cuda-toolkit has
    dozens of lines times dozens of extras) is only needed when this is true.
    """
    if "extra" not in marker:
        return False
    wanted = canonical_name(extra)
    return any(canonical_name(m.group(2)) == wanted for m in _QUOTED.finditer(marker))


def spec_text(req: Requirement) -> str:
    return str(req.specifier)


def satisfied(spec: str, version: str | None) -> bool | None:
    """Whether an installed version meets a specifier; None when absent or unreadable."""
    if version is None:
        return None
    req = parse_requirement(f"x{spec}")
    if req is None:
        return None
    try:
        return req.specifier.contains(version, prereleases=True)
    except InvalidVersion:
        return None


def is_stack_name(name: str) -> bool:
    return norm(name).startswith(_STACK_PREFIXES)


_LEADING_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@lru_cache(maxsize=8192)
def names_stack_package(line: str) -> bool:
    """Whether a Requires-Dist line is about an accelerator-stack package, read from its leading name
    (PEP 508 puts the name first), so the other lines are never parsed."""
    m = _LEADING_NAME.match(line)
    return m is not None and is_stack_name(m.group(1))


def glibc_floor(tags: Iterable[str]) -> str | None:
    """Lowest glibc a wheel's manylinux tags accept: manylinux_2_28 -> "2.28", manylinux2014 -> "2.17"."""
    floors: list[tuple[int, int]] = []
    for tag in tags:
        for m in _MANYLINUX.finditer(tag):
            text = f"{m.group(1)}.{m.group(2)}" if m.group(1) else _LEGACY_GLIBC[m.group(4)]
            floors.append(tuple(int(x) for x in text.split(".")))  # type: ignore[arg-type]
    if not floors:
        return None
    low = min(floors)
    return f"{low[0]}.{low[1]}"


def tag_platform(tags: Iterable[str]) -> str | None:
    """CPU architecture named by a wheel's platform tags (cp312-cp312-manylinux_2_28_x86_64 -> x86_64)."""
    for tag in tags:
        for plat in tag.split("-")[-1].split("."):
            m = _LINUX_PLATFORM.search(plat)
            if m:
                return m.group(1)
    return None


def split_local(version: str) -> tuple[str, str | None]:
    public, _, local = version.strip().partition("+")
    return public, (local or None)


_LOCAL_RUNTIME = re.compile(r"^(cu|rocm|xpu|cpu)(.*)$")


def runtime_from_local(local: str | None) -> tuple[str | None, str | None]:
    """("cuda", "12.4") from "cu124", ("rocm", "6.2") from "rocm6.2", ("cpu", None) from "cpu"."""
    m = _LOCAL_RUNTIME.match(local or "")
    if not m:
        return None, None
    kind, rest = m.group(1), m.group(2)
    if kind == "cu":
        digits = re.match(r"^(\d+)", rest)
        if not digits or len(digits.group(1)) < 3:
            return None, None
        d = digits.group(1)
        return "cuda", f"{d[:-1]}.{d[-1]}"
    if kind == "rocm":
        v = re.match(r"^(\d+(?:\.\d+)*)", rest)
        return "rocm", (v.group(1) if v else None)
    if kind == "cpu" and rest and not rest.startswith(("-", ".", "_")):
        return None, None
    return ("xpu" if kind == "xpu" else "cpu"), None


def stack_pins(dist: Distribution, env: MarkerEnv, extras: Iterable[str] = ("",)) -> dict[str, str]:
    """Requirement name -> specifier for the accelerator-stack requirements that apply."""
    out: dict[str, str] = {}
    for line in dist.requires:
        if not names_stack_package(line):
            continue
        req = parse_requirement(line)
        if req is None or not applies(req, env, extras):
            continue
        out[norm(req.name)] = spec_text(req)
    return out


def extra_pins(dist: Distribution, env: MarkerEnv, extra: str) -> dict[str, str]:
    """Pins that only the extra ``extra`` adds (tensorflow[and-cuda], jax-cuda12-plugin[with-cuda])."""
    out: dict[str, str] = {}
    for line in dist.requires:
        if not names_stack_package(line):
            continue
        req = parse_requirement(line)
        if req is None or not extra_only(req, extra, env):
            continue
        out[norm(req.name)] = spec_text(req)
    return out


def nested_extra_pins(dist: Distribution, installed: dict[str, Distribution], env: MarkerEnv) -> dict[str, str]:
    """Pins reached through an extra of a pinned meta-package: torch -> cuda-toolkit[cublas] -> nvidia-cublas."""
    out: dict[str, str] = {}
    for line in dist.requires:
        req = parse_requirement(line)
        if req is None or not req.extras or not applies(req, env):
            continue
        meta = installed.get(norm(req.name))
        if meta is None:
            continue
        for sub in meta.requires:
            r = parse_requirement(sub) if names_stack_package(sub) else None
            if r is None:
                continue
            if any(extra_only(r, e, env) for e in req.extras):
                out.setdefault(norm(r.name), spec_text(r))
    return out


def base_info(dist: Distribution, env: PythonEnvironment, installed: dict[str, Distribution], menv: MarkerEnv,
              version: str | None = None, name: str | None = None) -> FrameworkInfo:
    """The facts every framework shares: version, local tag, pins vs installed, Python and glibc floors."""
    full = version or dist.version
    _, local = split_local(full)
    pins = stack_pins(dist, menv)
    for k, v in nested_extra_pins(dist, installed, menv).items():
        pins.setdefault(k, v)
    have = {k: (installed[k].version if k in installed else None) for k in pins}
    return FrameworkInfo(
        name=name or norm(dist.name),
        version=full,
        environment=env.prefix or "",
        local_tag=local,
        pins=pins,
        pins_installed=have,
        pins_ok={k: satisfied(v, have[k]) for k, v in pins.items()},
        wheel_tags=list(dist.wheel_tags),
        requires_python=dist.requires_python,
        glibc_floor=glibc_floor(dist.wheel_tags),
        platform=tag_platform(dist.wheel_tags),
        source=f"{dist.location}/METADATA" if dist.location else "METADATA",
    )


def by_name(env: PythonEnvironment) -> dict[str, Distribution]:
    return {norm(d.name): d for d in env.distributions}
