"""Small, pure helpers rules share for reading an inventory (no I/O, no matrices)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from accelctl.inventory import Inventory
from accelctl.inventory.python_env import Distribution, FrameworkInfo, PythonEnvironment
from accelctl.names import canonical_name

if TYPE_CHECKING:
    from packaging.requirements import Requirement


@functools.lru_cache(maxsize=8192)
def norm(name: str) -> str:
    return canonical_name(name)


_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_name(line: str) -> str:
    """The normalised project name of a Requirement-Dist line, without parsing the rest."""
    m = _NAME.match(line)
    return norm(m.group(1)) if m else ""


def version(text: str | None) -> Version | None:
    if not text:
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


def public(text: str) -> str:
    """'2.5.1+cu124' -> '2.5.1'."""
    return text.split("+", 1)[0]


def dists(env: PythonEnvironment) -> dict[str, Distribution]:
    return {norm(d.name): d for d in env.distributions}


def environments(inv: Inventory) -> Iterator[PythonEnvironment]:
    yield from inv.python


def frameworks(inv: Inventory, name: str) -> Iterator[tuple[PythonEnvironment, FrameworkInfo]]:
    for env in inv.python:
        for fw in env.frameworks:
            if norm(fw.name) == norm(name):
                yield env, fw


def requirement(line: str) -> Requirement | None:
    """A parsed requirement (cached, shared with the probes: fleets repeat the same lines); treat it as read-only."""
    from accelctl.requirements import parse_requirement  # packaging's parsers: only rules that read requirements

    return parse_requirement(line)


def marker_env(env: PythonEnvironment, inv: Inventory) -> dict[str, str]:
    """A PEP 508 marker environment for the inspected interpreter, from the inventory."""
    py = env.version or ""
    parts = py.split(".")
    return {
        "python_version": ".".join(parts[:2]) if len(parts) >= 2 else py,
        "python_full_version": py if len(parts) >= 3 else (py + ".0" if py else ""),
        "implementation_name": env.implementation or "cpython",
        "platform_python_implementation": "CPython" if (env.implementation or "cpython") == "cpython" else "PyPy",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": inv.os.arch or "x86_64",
        "extra": "",
    }


def applies(req: Requirement, env: PythonEnvironment, inv: Inventory) -> bool:
    """Whether a requirement's marker holds in the inspected environment (unknown python: assume yes)."""
    if req.marker is None:
        return True
    if not env.version:
        return True
    try:
        return bool(req.marker.evaluate(marker_env(env, inv)))
    except (ValueError, KeyError):  # InvalidMarker, UndefinedComparison, InvalidVersion; UndefinedEnvironmentName
        return True


def pip(env: PythonEnvironment, *args: str) -> str:
    """A pip command line for the inspected environment (``uv pip`` where uv installed it), every argument quoted."""
    python = env.interpreter or "python3"
    import shlex  # only when a fix is written out

    from accelctl.plan.install import installer_of

    if args and installer_of(env) == "uv":
        rest = [a for a in args[1:] if a != "-y"]  # uv pip uninstall does not ask
        return " ".join(shlex.quote(a) for a in ("uv", "pip", args[0], "--python", python, *rest))
    return " ".join(shlex.quote(a) for a in (python, "-m", "pip", *args))


def gpu_vendors(inv: Inventory) -> list[str]:
    return sorted({a.vendor for a in inv.accelerators})
