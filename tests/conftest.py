"""Shared test helpers: file trees, fixture hosts, and running the CLI in-process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Real strings, as the real files carry them.
UBUNTU_2204_OS_RELEASE = (
    'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\n'
    "VERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n"
)
UBUNTU_2204_LIBC = b"\x00GNU C Library (Ubuntu GLIBC 2.35-0ubuntu3.8) stable release version 2.35.\n\x00"


def real_elf_header() -> bytes:
    """The first 64 bytes of a real executable of this machine (an ELF header)."""
    with open("/bin/sh", "rb") as fh:
        return fh.read(64)


def make_tree(root: Path, files: dict[str, str | bytes | None], links: dict[str, str] | None = None) -> Path:
    """Create files (None: an empty file) and symbolic links under ``root``."""
    for rel, content in files.items():
        path = root / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content or "")
    for rel, target in (links or {}).items():
        path = root / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)
    return root


def make_fixture(folder: Path, files: dict[str, str | bytes | None], env: dict[str, str] | None = None,
                 commands: dict | None = None, nvml: dict | None = None, links: dict[str, str] | None = None) -> Path:
    (folder / "files").mkdir(parents=True, exist_ok=True)
    make_tree(folder / "files", files, links)
    (folder / "env.json").write_text(json.dumps(env or {}))
    if commands is not None:
        (folder / "commands.json").write_text(json.dumps(commands))
    if nvml is not None:
        (folder / "nvml.json").write_text(json.dumps(nvml))
    return folder


@pytest.fixture
def ubuntu_rootfs(tmp_path: Path) -> Path:
    """A small Ubuntu 22.04 tree with a venv holding two distributions."""
    site = "opt/venv/lib/python3.10/site-packages"
    return make_tree(tmp_path / "rootfs", {
        "etc/os-release": UBUNTU_2204_OS_RELEASE,
        "bin/sh": real_elf_header(),
        "lib/x86_64-linux-gnu/libc.so.6": UBUNTU_2204_LIBC,
        "opt/venv/pyvenv.cfg": "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.10.12\n",
        "opt/venv/bin/python3": None,
        f"{site}/packaging-24.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: packaging\nVersion: 24.1\nRequires-Python: >=3.8\n\nbody\n",
        f"{site}/numpy-1.26.4.dist-info/METADATA": "Metadata-Version: 2.1\nName: numpy\nVersion: 1.26.4\nRequires-Python: >=3.9\n",
    }, links={"usr/bin/python3": "python3.10", "opt/venv/bin/python": "python3"})


def run_cli(args: list[str]):
    """Run accelctl in-process as `accelctl ARGS`; returns (exit code, stdout, stderr).

    Streams are captured directly (not through click's test runner, whose stderr
    handling differs between click versions on the Pythons we support).
    """
    import contextlib
    import io

    from accelctl.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return code, out.getvalue(), err.getvalue()


NETWORK_OPT_IN = "ACCELCTL_NETWORK_TESTS"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``network`` reach a package registry: they run only when ACCELCTL_NETWORK_TESTS=1."""
    if os.environ.get(NETWORK_OPT_IN) == "1":
        return
    skip = pytest.mark.skip(reason=f"needs the network; set {NETWORK_OPT_IN}=1 to run it")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)
