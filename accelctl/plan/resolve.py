"""--resolve: ask pip's real resolver whether the planned requirements install (dry run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

MIN_PIP = (23, 1)  # older pips checked Requires-Python against the running interpreter, not --python-version


def pip_too_old() -> str:
    """Why this pip cannot check a plan for another Python, or '' when it can."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        have = version("pip")
    except PackageNotFoundError:
        return "pip is not installed in accelctl's environment"
    parts = tuple(int(p) for p in have.split(".")[:2] if p.isdigit())
    if parts < MIN_PIP:
        return f"pip {have} cannot resolve for another Python version (needs {MIN_PIP[0]}.{MIN_PIP[1]}+): python -m pip install -U pip"
    return ""


def platform_tags(arch: str, glibc: str) -> list[str]:
    """Every manylinux tag a system with this glibc accepts (pip matches --platform exactly)."""
    major, minor = (int(x) for x in glibc.split(".")[:2])
    tags = [f"manylinux_{major}_{m}_{arch}" for m in range(minor, 4, -1)]
    return tags + [f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}", "linux_" + arch]


def check_with_pip(requirements: str, python: str, arch: str = "x86_64", glibc: str = "2.35",
                   timeout: float = 300.0) -> tuple[bool, str]:
    """Run ``pip install --dry-run --report`` for the target's Python and platform; nothing is installed."""
    old = pip_too_old()
    if old:
        return False, old
    with tempfile.TemporaryDirectory(prefix="accelctl-resolve-") as tmp:
        req = os.path.join(tmp, "requirements.txt")
        report = os.path.join(tmp, "report.json")
        with open(req, "w", encoding="utf-8") as fh:
            fh.write(requirements)
        argv = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet", "--report", report,
                "--only-binary=:all:", "--python-version", python,
                *[a for tag in platform_tags(arch, glibc) for a in ("--platform", tag)],
                "--target", os.path.join(tmp, "t"), "-r", req]
        try:
            proc = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=timeout,
                                  env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
        except subprocess.TimeoutExpired:
            return False, f"pip did not finish within {timeout:.0f} s"
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            return False, f"pip could not resolve the plan: {last}"
        with open(report, encoding="utf-8") as fh:
            installs = json.load(fh).get("install", [])
        names = ", ".join(f"{i['metadata']['name']}=={i['metadata']['version']}" for i in installs[:8])
        return True, f"resolves: {len(installs)} distributions ({names}{', ...' if len(installs) > 8 else ''})"
