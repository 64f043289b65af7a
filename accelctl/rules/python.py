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


@rule("PY003", "user-site-shadows-environment", "warning",
      decides_on=("the distributions of each inspected environment and of the user site-packages",))
def user_site_shadows_environment(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """A package in the user site-packages hides the environment's own copy.

    ``pip install --user`` puts packages in ``~/.local/lib/pythonX.Y/site-packages``,
    which Python puts on ``sys.path`` before the environment's site-packages in every
    environment that is not a venv (conda envs included) and in venvs made with
    ``--system-site-packages``. A torch (or an NVIDIA library wheel) installed there
    once is what every such environment imports, whatever the environment itself
    holds: an old or CPU-only copy replaces the CUDA build the environment was made
    for, and installs into one conda env change what the others import.

    How to fix: remove the user copy (``pip uninstall`` run by that interpreter removes
    the copy it imports, the user's), or keep the user site-packages out of the
    environment with ``PYTHONNOUSERSITE=1`` (``conda env config vars set`` makes it
    part of a conda env).

    References: https://docs.python.org/3/library/site.html#site.ENABLE_USER_SITE;
    torch 1.1.0 in ``~/.local`` shadowing a newer install:
    https://github.com/cloveranon/Clover-Edition/issues/128; a conda env importing torch
    from the user site-packages (``torch.library`` has no ``register_fake``):
    https://github.com/computational-cell-analytics/micro-sam/issues/953.
    """
    import shlex

    for env in ctx.inventory.python:
        own = {norm(d.name): d for d in env.distributions if not d.user_site}
        for d in env.distributions:
            name = norm(d.name)
            mine = own.get(name)
            if not d.user_site or mine is None or mine.version == d.version:
                continue
            if name not in ACCELERATOR_PACKAGES and not name.startswith("nvidia-"):
                continue
            python = shlex.quote(env.interpreter)
            yield Hit(f"{d.name} {d.version} in the user site-packages ({env.user_site}) is imported instead of "
                      f"{mine.version} of the environment at {env.prefix}.",
                      subject=f"{d.name} in {env.prefix}",
                      evidence=[Evidence("user site-packages copy", d.version, d.location or ""),
                                Evidence("the environment's copy", mine.version, mine.location or ""),
                                Evidence("why the user site-packages is on sys.path", env.kind or "unknown kind",
                                         "site.py: not a venv, or a venv with system site-packages")],
                      fixes=[FixStep(f"Remove the user copy of {d.name}",
                                     commands=[f"{python} -m pip uninstall --yes {shlex.quote(d.name)}"],
                                     why="pip run by this interpreter removes the copy it imports: the user site's",
                                     risks=["changes-environment"], alternative="remove the user copy",
                                     verify=f"{python} -m pip show {shlex.quote(d.name)}"),
                             FixStep("Keep the user site-packages out of this environment",
                                     commands=["export PYTHONNOUSERSITE=1"] if env.kind != "conda" else
                                     [f"conda env config vars set PYTHONNOUSERSITE=1 --prefix {shlex.quote(env.prefix or '')}"],
                                     why="site.py leaves the user site-packages off sys.path under PYTHONNOUSERSITE",
                                     alternative="hide the user site-packages", recommended=False,
                                     verify="accelctl doctor --select PY003")])
