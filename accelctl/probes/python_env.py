"""Which Python environment to inspect, and what it is, from files alone.

Nothing is imported from the inspected interpreter and it is not run: its
prefix, version and site-packages follow from its path, ``pyvenv.cfg`` and the
``lib/pythonX.Y`` folders, so the same code works on a rootfs.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import replace

from accelctl.host.base import Host, HostError
from accelctl.inventory.python_env import PythonEnvironment
from accelctl.probes.base import ProbeContext
from accelctl.probes.conda_meta import read_conda_packages
from accelctl.probes.distributions import read_site_packages
from accelctl.probes.frameworks.names import DESCRIBED

_PYDIR = re.compile(r"^python(\d+)\.(\d+)t?$")
# Where images and nodes usually keep environments, for a rootfs with no PATH to follow.
_ROOTFS_CANDIDATES = (
    "/opt/conda/bin/python3",
    "/opt/venv/bin/python3",
    "/venv/bin/python3",
    "/usr/local/bin/python3",
    "/usr/bin/python3",
)
_TAGGED_PREFIXES = ("jax-cuda", "jax-rocm")  # jax-cuda13-plugin, jax-cuda12-pjrt, jax-rocm7-plugin ...


def wants_wheel_tags(name: str) -> bool:
    """Whether the distribution ``name`` (normalised, dashes) gets its WHEEL tags read: every framework the
    frameworks probe describes, since a tag gives its platform and glibc floor for the price of one small
    file, where a wheel without one has its libraries' ELF symbol versions read."""
    return name.startswith(_TAGGED_PREFIXES) or name in DESCRIBED


def parse_pyvenv_cfg(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


def _lib_versions(host: Host, prefix: str) -> list[tuple[int, int]]:
    found = []
    for lib in ("lib", "lib64"):
        try:
            for entry in host.list_dir(posixpath.join(prefix, lib)):
                m = _PYDIR.match(entry.name)
                if m and entry.is_dir:
                    found.append((int(m.group(1)), int(m.group(2))))
        except HostError:
            continue
    return sorted(set(found))


def user_site(host: Host, kind: str, cfg: dict[str, str], tag: str) -> tuple[str | None, str | None]:
    """(the user site-packages Python adds for ``tag`` (python3.12), why it adds none), after site.py's rules.

    site.py leaves it out under PYTHONNOUSERSITE (or ``-s``) and in a venv made without
    ``--system-site-packages``; otherwise ``$PYTHONUSERBASE`` (default ``~/.local``) +
    ``lib/pythonX.Y/site-packages`` comes on sys.path before every site-packages of the
    environment, so what ``pip install --user`` put there is what gets imported
    (https://docs.python.org/3/library/site.html#site.ENABLE_USER_SITE).
    """
    env = host.env
    if env.get("PYTHONNOUSERSITE"):
        return None, "PYTHONNOUSERSITE is set"
    if kind == "venv" and cfg.get("include-system-site-packages", "false").lower() != "true":
        return None, "a venv without system site-packages"
    base = env.get("PYTHONUSERBASE") or (posixpath.join(env["HOME"], ".local") if env.get("HOME", "").startswith("/") else "")
    if not base.startswith("/"):
        return None, "no HOME or PYTHONUSERBASE to find it by"
    path = posixpath.join(base, "lib", tag, "site-packages")
    return (path, None) if host.is_dir(path) else (None, f"{path} does not exist")


def describe(host: Host, interpreter: str, because: str,
             unknown: Callable[[str, str], None] | None = None, with_user_site: bool = True) -> PythonEnvironment | None:
    """Describe the environment of ``interpreter`` (a machine path); None if it is not there."""
    if not host.exists(interpreter):
        return None
    bindir = posixpath.dirname(interpreter)
    prefix = posixpath.dirname(bindir) if posixpath.basename(bindir) in ("bin", "Scripts") else bindir
    cfg: dict[str, str] = {}
    try:
        cfg = parse_pyvenv_cfg(host.read_text(posixpath.join(prefix, "pyvenv.cfg"), 16 << 10))
    except HostError:
        pass
    if cfg:
        kind = "venv"
    elif host.is_dir(posixpath.join(prefix, "conda-meta")):
        kind = "conda"
    else:
        kind = "system"

    version = cfg.get("version_info") or cfg.get("version")
    versions = _lib_versions(host, prefix)
    real_name = posixpath.basename(host.realpath(interpreter))
    m = re.match(r"^python(\d+)\.(\d+)", real_name)
    if version is None and m:
        version = f"{m.group(1)}.{m.group(2)}"
    if version is None and len(versions) == 1:
        version = f"{versions[0][0]}.{versions[0][1]}"
    major_minor = tuple(int(x) for x in version.split(".")[:2]) if version else (versions[-1] if versions else None)

    sites: list[str] = []
    if major_minor:
        tag = f"python{major_minor[0]}.{major_minor[1]}"
        for lib in ("lib", "lib64"):
            for name in ("site-packages", "dist-packages"):
                path = posixpath.join(prefix, lib, tag, name)
                if host.is_dir(path) and host.realpath(path) not in [host.realpath(s) for s in sites]:
                    sites.append(path)
        if kind == "system" and prefix in ("/usr", "/"):
            for extra in (f"/usr/local/lib/{tag}/dist-packages", "/usr/lib/python3/dist-packages", f"/usr/local/lib/{tag}/site-packages"):
                if host.is_dir(extra) and extra not in sites:
                    sites.append(extra)
        if kind == "venv" and cfg.get("include-system-site-packages", "false").lower() == "true" and cfg.get("home"):
            base = describe(host, posixpath.join(cfg["home"], real_name if m else "python3"), "base of a venv", unknown,
                            with_user_site=False)
            if base:
                sites.extend(s for s in base.site_packages if s not in sites)

    def unreadable(folder: str, reason: str) -> None:
        if unknown is not None:
            unknown(f"python.distribution.{posixpath.basename(folder)}", f"{folder}: {reason}")

    distributions = []
    for site in sites:
        distributions.extend(read_site_packages(host, site, wants_wheel_tags, unreadable))
    user, user_off = (None, None)
    if with_user_site and major_minor:
        user, user_off = user_site(host, kind, cfg, f"python{major_minor[0]}.{major_minor[1]}")
    if user and user not in sites:
        # After the environment's own: readers that keep one distribution per name keep the last,
        # and the user's copy is the one Python imports.
        distributions.extend(replace(d, user_site=True)
                             for d in read_site_packages(host, user, wants_wheel_tags, unreadable))
    conda = read_conda_packages(host, prefix, unknown) if kind == "conda" else []
    version_source = None
    conda_python = next((p.version for p in conda if p.name == "python"), None)
    if conda_python and (version is None or conda_python.startswith(version + ".")):
        version, version_source = conda_python, "conda-meta"  # 3.11.8 where the folders say 3.11
    return PythonEnvironment(
        interpreter=interpreter,
        version=version,
        version_source=version_source,
        implementation="cpython" if version else None,
        kind=kind,
        prefix=prefix,
        site_packages=sites,
        selected_because=because,
        distributions=distributions,
        source=f"{'pyvenv.cfg, ' if cfg else ''}folders under {prefix}",
        conda_packages=conda,
        user_site=user,
        user_site_off=user_off if with_user_site else None,
    )


def through_pyenv_shim(host: Host, interpreter: str) -> str:
    """pyenv's shims are shell scripts; follow them to the selected version's interpreter."""
    shims = posixpath.dirname(interpreter)
    if posixpath.basename(shims) != "shims":
        return interpreter
    pyenv_root = posixpath.dirname(shims)
    version = host.env.get("PYENV_VERSION", "").split(":")[0]
    if not version:
        try:
            version = host.read_text(posixpath.join(pyenv_root, "version"), 1024).split()[0]
        except (HostError, IndexError):
            return interpreter
    real = posixpath.join(pyenv_root, "versions", version, "bin", posixpath.basename(interpreter))
    return real if host.exists(real) else interpreter


def resolve_interpreter(host: Host, given: str, working_dir: str | None) -> str | None:
    """The interpreter ``--python`` names, as a machine path; None when there is none.

    ``given`` is an interpreter path (absolute, or relative to ``working_dir``), an
    environment's folder (a venv or conda env: its ``bin/python``), or a command name
    found on PATH (``python3.12``), the way a shell would take it.
    """
    path = posixpath.normpath(given if given.startswith("/") or not working_dir else posixpath.join(working_dir, given))
    if "/" not in given and not (working_dir and host.is_dir(path)):  # a name: a command, unless a folder here
        found = host.which(given)
        return through_pyenv_shim(host, found) if found else None
    if host.is_dir(path):
        return next((posixpath.join(path, "bin", name) for name in ("python", "python3")
                     if host.is_file(posixpath.join(path, "bin", name))), None)
    return path if host.exists(path) else None


def _under(path: str, prefix: str | None) -> bool:
    if not prefix:
        return False
    prefix = prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/")


def _is_own(host: Host, path: str, own: str | None) -> bool:
    """Whether ``path`` lies in accelctl's own environment, by its name or through symbolic links
    (uv keeps a tool run's environment in its cache and links to it from another bucket)."""
    return bool(own) and (_under(path, own) or _under(host.realpath(path), host.realpath(own or "")))


def _which_outside(host: Host, name: str, own: str | None) -> str | None:
    """The first ``name`` on PATH outside accelctl's own environment (uvx puts that one first)."""
    if not own:
        return host.which(name)
    for folder in host.env.get("PATH", "").split(":"):
        if folder.startswith("/") and not _is_own(host, folder, own) and host.is_file(posixpath.join(folder, name)):
            return posixpath.join(folder, name)
    return None


def _is_conda_base(env: Mapping[str, str]) -> bool:
    """The base env conda activates in every shell (``auto_activate_base``) is not a choice of the user's."""
    return env.get("CONDA_DEFAULT_ENV") == "base" or (
        bool(env.get("CONDA_PREFIX")) and env.get("CONDA_PREFIX") == env.get("CONDA_ROOT", env.get("_CONDA_ROOT")))


def _working_dir(ctx: ProbeContext) -> str | None:
    """Where accelctl was started: given by the caller on a live machine, else the environment's PWD."""
    where = ctx.options.working_dir or ctx.host.env.get("PWD")
    return where if where and where.startswith("/") else None


def candidates(ctx: ProbeContext) -> list[tuple[str, str]]:
    """(interpreter, why) in order of preference; the first that exists is inspected.

    The order is the one uv and `python -m venv` users expect: an explicit ``--python``, the
    activated venv, an activated conda env, the project's ``.venv`` in the working directory,
    then ``python3`` on PATH. accelctl's own environment (a pipx or uv tool, or uvx's
    throwaway one, which uvx puts first on PATH and names in VIRTUAL_ENV) is never chosen.
    """
    host, env = ctx.host, ctx.host.env
    if ctx.options.python:
        found = resolve_interpreter(host, ctx.options.python, _working_dir(ctx))
        return [(found or ctx.options.python, "--python")]
    own = ctx.options.accelctl_prefix
    out: list[tuple[str, str]] = []
    if env.get("VIRTUAL_ENV") and not _is_own(host, env["VIRTUAL_ENV"], own):
        out.append((posixpath.join(env["VIRTUAL_ENV"], "bin", "python"), "$VIRTUAL_ENV"))
    if env.get("CONDA_PREFIX") and not _is_conda_base(env) and not _is_own(host, env["CONDA_PREFIX"], own):
        out.append((posixpath.join(env["CONDA_PREFIX"], "bin", "python"), "$CONDA_PREFIX"))
    where = _working_dir(ctx)
    if where:
        venv = posixpath.join(where, ".venv")
        if not _is_own(host, venv, own):
            out.extend((posixpath.join(venv, "bin", name), "./.venv") for name in ("python", "python3"))
    for name in ("python3", "python"):
        found = _which_outside(host, name, own)
        if found:
            real = through_pyenv_shim(host, found)
            out.append((real, f"{name} on PATH" + (" (through pyenv)" if real != found else "")))
    if not host.can_run_commands:  # an image: look where images keep Python
        out.extend((p, "a usual location in the image") for p in _ROOTFS_CANDIDATES)
    return out


def probe(ctx: ProbeContext) -> list[PythonEnvironment]:
    """The environment to inspect, with its framework wheels described (``probes.frameworks``)."""
    from accelctl.probes.frameworks.probe import describe_frameworks

    tried = []
    for interpreter, why in candidates(ctx):
        env = describe(ctx.host, interpreter, why, ctx.unknown)
        if env is not None:
            if not env.site_packages:
                ctx.unknown("python.site_packages", f"no site-packages found under {env.prefix}")
            return [describe_frameworks(ctx.for_probe("frameworks"), env)]
        tried.append(interpreter)
    if ctx.options.python:
        ctx.unknown("python", f"--python {ctx.options.python}: no such interpreter")
    else:
        ctx.unknown("python", "no Python interpreter found" + (f" (tried {', '.join(tried)})" if tried else " on PATH"))
    return []
