"""Which Python environment the doctor inspects, and why (the report names the reason)."""

from __future__ import annotations

import json
import sys

import pytest

from accelctl import doctor
from accelctl.host.filesystem import FileSystemHost
from accelctl.probes.base import ProbeContext, ProbeOptions
from accelctl.probes.python_env import probe, resolve_interpreter
from tests.conftest import make_fixture, make_tree, run_cli

SITE = "lib/python3.12/site-packages"
PROJECT = "/home/u/proj"
# uvx keeps the environment it runs a tool from in uv's cache: environments-v2 links into archive-v0.
UVX_ENV = "/home/u/.cache/uv/archive-v0/Xy12abc"
UVX_LINK = "/home/u/.cache/uv/environments-v2/accelctl-5d1c2b"


def _env_files(prefix: str, dists: dict[str, str], cfg: str = "home = /usr/bin\nversion_info = 3.12.3\n") -> dict:
    files: dict[str, str | None] = {f"{prefix}/pyvenv.cfg": cfg, f"{prefix}/bin/python": None}
    for name, version in dists.items():
        files[f"{prefix}/{SITE}/{name}-{version}.dist-info/METADATA"] = f"Name: {name}\nVersion: {version}\n"
    return files


def _tree(tmp_path):
    files = {
        **_env_files(f"{PROJECT}/.venv", {"torch": "2.11.0+cu130"}),
        **_env_files(UVX_ENV, {"accelctl": "0.9.0", "typer": "0.20.0"}),
        **_env_files("/opt/sys", {"numpy": "2.3.0"}),
        "usr/bin/python3.12": None,
    }
    links = {UVX_LINK: UVX_ENV, "usr/bin/python3": "python3.12", f"{UVX_ENV}/bin/python3": "python"}
    root = make_tree(tmp_path / "r", files, links)
    for exe in (f"{PROJECT}/.venv/bin/python", f"{UVX_ENV}/bin/python", "/opt/sys/bin/python", "/usr/bin/python3.12"):
        (root / exe.lstrip("/")).chmod(0o755)
    return root


def _selected(host, **options):
    [env] = probe(ProbeContext(host, ProbeOptions(**options), "python"))
    return env.prefix, env.selected_because


@pytest.mark.parametrize("given, working_dir, found", [
    (".venv/bin/python", PROJECT, f"{PROJECT}/.venv/bin/python"),  # relative to where accelctl runs
    ("./.venv", PROJECT, f"{PROJECT}/.venv/bin/python"),  # an environment folder
    (".venv", PROJECT, f"{PROJECT}/.venv/bin/python"),  # a folder here, not a command
    (f"{PROJECT}/.venv/", None, f"{PROJECT}/.venv/bin/python"),
    ("../.venv/bin/python", f"{PROJECT}/sub", f"{PROJECT}/.venv/bin/python"),
    ("python3.12", None, "/usr/bin/python3.12"),  # a command on PATH
    ("python3.99", None, None),
    (".venv/bin/python", "/elsewhere", None),
    ("/nope/bin/python", None, None),
    ("/home/u", None, None),  # a folder that holds no environment
])
def test_python_option_takes_paths_folders_and_names(tmp_path, given, working_dir, found):
    host = FileSystemHost(str(_tree(tmp_path)), env={"PATH": "/usr/bin"})
    assert resolve_interpreter(host, given, working_dir) == found


def test_default_order_virtual_env_then_dot_venv_then_python3(tmp_path):
    root = str(_tree(tmp_path))
    env = {"PATH": "/opt/sys/bin:/usr/bin", "PWD": PROJECT}
    assert _selected(FileSystemHost(root, env={**env, "VIRTUAL_ENV": "/opt/sys"})) == ("/opt/sys", "$VIRTUAL_ENV")
    assert _selected(FileSystemHost(root, env=env)) == (f"{PROJECT}/.venv", "./.venv")
    # the working directory the caller gives wins over a stale PWD
    assert _selected(FileSystemHost(root, env=env), working_dir="/home") == ("/usr", "python3 on PATH")
    assert _selected(FileSystemHost(root, env={**env, "PWD": "/home"})) == ("/usr", "python3 on PATH")


def test_conda_base_does_not_hide_the_project_venv(tmp_path):
    root = str(_tree(tmp_path))
    env = {"PATH": "/usr/bin", "PWD": PROJECT, "CONDA_PREFIX": "/opt/sys"}
    assert _selected(FileSystemHost(root, env={**env, "CONDA_DEFAULT_ENV": "base"})) == (f"{PROJECT}/.venv", "./.venv")
    assert _selected(FileSystemHost(root, env={**env, "CONDA_DEFAULT_ENV": "ml"})) == ("/opt/sys", "$CONDA_PREFIX")


@pytest.mark.parametrize("prefix, env, receipt, own", [
    (UVX_ENV, {}, False, True),
    (UVX_LINK, {}, False, True),
    ("/home/u/.local/share/uv/tools/accelctl", {}, False, True),
    ("/home/u/.local/pipx/venvs/accelctl", {}, False, True),
    ("/srv/cache/ab12", {"UV_CACHE_DIR": "/srv/cache"}, False, True),  # a moved uv cache
    ("/srv/tools/accelctl", {}, True, True),  # uv-receipt.toml / pipx_metadata.json at its root
    (f"{PROJECT}/.venv", {}, False, False),  # accelctl installed next to torch: that venv is the user's
    ("/usr", {}, False, False),
])
def test_own_tool_environment_is_recognised(prefix, env, receipt, own):
    base = "/usr" if prefix != "/usr" else prefix
    found = doctor.own_prefix(prefix, base, env, exists=lambda path: receipt)
    assert found == (prefix if own else None)


def test_uvx_inside_a_project_inspects_the_projects_venv(tmp_path, monkeypatch):
    """`uvx --from . accelctl doctor` in a project with .venv: uvx names its throwaway environment in
    VIRTUAL_ENV and puts it first on PATH; the project's .venv is what the user means."""
    files_root = _tree(tmp_path)
    fixture = make_fixture(tmp_path / "fx", {}, env={
        "VIRTUAL_ENV": UVX_LINK, "PATH": f"{UVX_LINK}/bin:/usr/bin", "PWD": PROJECT})
    (fixture / "files").rmdir()
    files_root.rename(fixture / "files")
    monkeypatch.setattr(sys, "prefix", UVX_LINK)
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    inv = doctor.observe(doctor.Source(fixture=str(fixture)))
    [env] = inv.python
    assert (env.prefix, env.selected_because) == (f"{PROJECT}/.venv", "./.venv")
    assert [d.name for d in env.distributions] == ["torch"]

    # outside a project, python3 on PATH after uvx's own folder
    (fixture / "env.json").write_text(json.dumps({"VIRTUAL_ENV": UVX_LINK, "PATH": f"{UVX_LINK}/bin:/usr/bin",
                                                  "PWD": "/home"}))
    [env] = doctor.observe(doctor.Source(fixture=str(fixture))).python
    assert (env.interpreter, env.selected_because) == ("/usr/bin/python3", "python3 on PATH")


def test_cli_python_option_forms_and_missing_path(tmp_path):
    root = str(_tree(tmp_path))
    for given in (".venv/bin/python", ".venv", "python3.12"):
        code, out, err = run_cli(["doctor", "--root", root, "--env", f"PWD={PROJECT}", "--env", "PATH=/usr/bin",
                                  "--python", given, "--json"])
        assert code in (0, 1), err
        [env] = json.loads(out)["inventory"]["python"]
        assert env["selected_because"] == "--python"
        assert env["prefix"] == ("/usr" if given == "python3.12" else f"{PROJECT}/.venv")
    code, out, err = run_cli(["doctor", "--root", root, "--env", f"PWD={PROJECT}", "--python", "venv/bin/python"])
    assert code == 2 and out == ""
    assert "python-not-found" in err and "--python venv/bin/python: no such interpreter" in err


def test_text_header_says_which_environment_and_why(tmp_path):
    root = str(_tree(tmp_path))
    _, out, _ = run_cli(["doctor", "--root", root, "--env", f"PWD={PROJECT}", "--env", "PATH=/usr/bin", "--no-color"])
    assert f"3.12.3 venv at {PROJECT}/.venv (./.venv)" in out, out
