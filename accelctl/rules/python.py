"""Python rules: interpreter and C library versions against what the installed wheels require."""

from __future__ import annotations

import re
from collections.abc import Iterator

from accelctl.findings import Evidence, FixStep
from accelctl.rules.base import CannotDecide, Hit, RuleContext, rule
from accelctl.rules.facts import norm
from accelctl.rules.frameworks import ACCELERATOR_PACKAGES

_MANYLINUX = re.compile(r"manylinux_(\d+)_(\d+)_|manylinux(1|2010|2014)_")
_LEGACY = {"1": (2, 5), "2010": (2, 12), "2014": (2, 17)}  # PEP 600's aliases


def glibc_floor(tags) -> tuple[int, int] | None:
    """The lowest glibc a wheel's platform tags accept (manylinux_2_28 -> (2, 28))."""
    floors = []
    for tag in tags:
        for m in _MANYLINUX.finditer(tag):
            floors.append((int(m.group(1)), int(m.group(2))) if m.group(1) else _LEGACY[m.group(3)])
    return min(floors) if floors else None


@rule("PY001", "python-version-unsupported", "error",
      decides_on=("version of each inspected Python", "Requires-Python of the accelerator packages"))
def python_version_unsupported(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """An installed accelerator package does not support this Python version.

    Its ``Requires-Python`` excludes the interpreter of the environment, so it was
    installed for another interpreter (a copied venv, ``--target`` installs, a
    changed base image). Its compiled extension will not import.
    """
    for env in ctx.inventory.python:
        if not env.version:
            needs = sorted(d.name for d in env.distributions if norm(d.name) in ACCELERATOR_PACKAGES and d.requires_python)
            if needs:
                yield CannotDecide(f"The Python version of {env.prefix} is unknown, so whether {', '.join(needs[:3])} "
                                   "support it cannot be decided.", missing=[f"Python version of {env.prefix}"],
                                   settle=["--python PATH (the environment's interpreter)", "--assume python=3.X"],
                                   subject=env.prefix)
            continue
        for d in env.distributions:
            if norm(d.name) not in ACCELERATOR_PACKAGES or not d.requires_python:
                continue
            from packaging.specifiers import InvalidSpecifier, SpecifierSet

            try:
                spec = SpecifierSet(d.requires_python)
            except InvalidSpecifier:
                continue
            if spec.contains(env.version, prereleases=True):
                continue
            yield Hit(f"{d.name} {d.version} requires Python {d.requires_python}; this environment runs Python {env.version}.",
                      subject=f"{d.name} in {env.prefix}",
                      evidence=[Evidence("Requires-Python", d.requires_python, d.location or ""),
                                Evidence("Python", env.version, env.source)],
                      fixes=[FixStep("Recreate the environment with a supported Python, or install a release that supports this one",
                                     why="compiled wheels are built per Python version", risks=["changes-environment"],
                                     verify="accelctl doctor --select PY001 --python PATH-OF-THE-NEW-PYTHON")])


@rule("PY002", "glibc-too-old-for-wheel", "error",
      decides_on=("the system's glibc version", "the glibc floor of each wheel"))
def glibc_too_old_for_wheel(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """A wheel needs a newer glibc than this system has.

    A ``manylinux_2_28`` wheel links against glibc 2.28 symbols; on an older
    system (CentOS 7 has 2.17, Ubuntu 20.04 has 2.31) it fails to import with
    ``GLIBC_2.xx not found``. A framework installed without a manylinux tag (a
    ``linux_*`` wheel, conda, a source build) is judged by the newest GLIBC
    symbol version its own libraries need. Upgrade the base OS or image, or
    install an older release built for an older manylinux tag.
    """
    libc = ctx.inventory.os.libc_version
    if ctx.inventory.os.libc in ("glibc", None) and not libc:
        floors = [f for env in ctx.inventory.python for d in env.distributions if (f := glibc_floor(d.wheel_tags))]
        if floors:
            need = "{}.{}".format(*max(floors))
            yield CannotDecide(f"The system's glibc version is unknown; installed wheels need up to glibc {need}.",
                               missing=["glibc version"], settle=["--assume glibc=2.X (from `ldd --version`)"],
                               subject="glibc")
        return
    if ctx.inventory.os.libc != "glibc" or not libc:
        return
    have = tuple(int(x) for x in libc.split(".")[:2])
    for env in ctx.inventory.python:
        from_libraries = {norm(f.name): f for f in env.frameworks
                          if f.glibc_floor and f.glibc_floor_source not in (None, "manylinux tag")}
        for d in env.distributions:
            floor = glibc_floor(d.wheel_tags)
            evidence = Evidence("wheel tags", ", ".join(d.wheel_tags), d.location or "")
            fw = from_libraries.get(norm(d.name))
            if floor is None and fw is not None:
                major, _, minor = (fw.glibc_floor or "").partition(".")
                floor = (int(major), int(minor)) if major.isdigit() and minor.isdigit() else None
                evidence = Evidence("GLIBC symbol versions its library needs", f"GLIBC_{fw.glibc_floor}",
                                    fw.glibc_floor_source or "")
            if floor is None or floor <= have:
                continue
            yield Hit(f"{d.name} {d.version} needs glibc {floor[0]}.{floor[1]} or newer; this system has glibc {libc}.",
                      subject=f"{d.name} in {env.prefix}",
                      evidence=[evidence, Evidence("glibc", libc, ctx.inventory.os.sources.get("libc", ""))],
                      fixes=[FixStep(f"Use a base OS or image with glibc {floor[0]}.{floor[1]} or newer",
                                     why="the wheel's compiled code calls newer glibc symbols", risks=["rebuilds-image"],
                                     verify="ldd --version && accelctl doctor --select PY002")])
