"""The files other tools read from this repository: the composite action, the pre-commit hooks, the CI examples.

Each is checked for what breaks a user silently: an input used but not declared, a flag the CLI does not
have, a hook entry that is not a command, a schema violation; and the action's script is run as GitHub
would run it, against a recorded node report.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.main import get_command

from accelctl.cli import build_app
from tests.conftest import REPO, run_cli

ACTION = REPO / "action.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml")) + [
    REPO / "docs" / "ci" / "github-actions.yml", REPO / "docs" / "ci" / "github-action.yml"]
SNAPSHOT = REPO / "bench" / "node-2026-12-05" / "doctor.json"


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def command_and_flags(words: list[str]) -> tuple[list[str], set[str], set[str]]:
    """Split `accelctl WORDS...` into the command path, the option strings given, and those the CLI has."""
    command = get_command(build_app(only=words[0]))
    path = []
    for word in words:
        subcommands = getattr(command, "commands", {})
        if word not in subcommands:
            break
        command, path = subcommands[word], [*path, word]
    given = {w for w in words[len(path):] if w.startswith("-")}
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    return path, given, known


def script_of(step_id: str) -> str:
    return next(s for s in load(ACTION)["runs"]["steps"] if s.get("id") == step_id)["run"]


# --- action.yml -------------------------------------------------------------------------------------------

def test_the_action_is_a_composite_whose_inputs_are_declared_and_used():
    action = load(ACTION)
    text = ACTION.read_text()
    declared = set(action["inputs"])
    used = set(re.findall(r"inputs\.([A-Za-z0-9_-]+)", text))
    assert used - declared == set()
    assert declared - used == set()
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    ids = {s["id"] for s in steps if "id" in s}
    assert set(re.findall(r"steps\.([A-Za-z0-9_-]+)\.outputs", text)) <= ids
    for step in steps:
        assert ("run" in step) == ("shell" in step), step.get("name")  # a composite run step must name its shell
        if "run" in step:
            assert "${{" not in step["run"], f"{step['name']}: values reach scripts through env, not expressions"


def test_the_action_uploads_with_a_pinned_major_of_upload_sarif():
    uses = [s["uses"] for s in load(ACTION)["runs"]["steps"] if "uses" in s]
    assert uses and all(re.fullmatch(r"github/codeql-action/upload-sarif@v\d+", u) for u in uses)


@pytest.mark.parametrize("command", ["gate", "doctor"])
def test_the_flags_the_action_passes_exist_in_the_cli(command):
    script = script_of("run")
    branch = re.search(rf"^\s*{command}\)\n(.*?)^\s*;;", script, re.MULTILINE | re.DOTALL)
    assert branch, f"no {command} branch in the action's script"
    common = script.split("esac", 1)[1]
    flags = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", branch.group(1) + common))
    path, _, known = command_and_flags([command])
    assert path == [command] and flags and flags <= known
    code, out, _ = run_cli([command, "--help"])
    assert code == 0 and all(flag in out for flag in flags)


def run_action_script(tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    """Run the action's `run` step as the runner does (bash, inputs in env, outputs to $GITHUB_OUTPUT)."""
    shim = tmp_path / "accelctl"
    shim.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m accelctl \"$@\"\n")
    shim.chmod(0o755)
    output = tmp_path / "github_output"
    output.write_text("")
    env = {**os.environ, "PYTHONPATH": str(REPO), "ACCELCTL": str(shim), "GITHUB_OUTPUT": str(output),
           "GITHUB_STEP_SUMMARY": "", "COMMAND": "gate", "FLEET": "", "IMAGE": "", "ROOTFS": "", "SNAPSHOT": "",
           "MATRICES": "", "FAIL_ON": "error", "SARIF_FILE": str(tmp_path / "accelctl.sarif")}
    env.update({k.upper(): v for k, v in inputs.items()})
    done = subprocess.run(["bash", "-e", "-c", script_of("run")], env=env, cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=120, check=False)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return done, outputs


@pytest.mark.skipif(shutil.which("bash") is None, reason="the action's steps run in bash")
def test_the_action_checks_a_snapshot_and_reports_its_exit_code_and_sarif(tmp_path):
    import json

    done, outputs = run_action_script(tmp_path, command="doctor", snapshot=str(SNAPSHOT), fail_on="never")
    assert done.returncode == 0, done.stderr
    assert outputs["exit-code"] == "0"
    sarif = json.loads(Path(outputs["sarif-file"]).read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["tool"]["driver"]["name"] == "accelctl"


@pytest.mark.skipif(shutil.which("bash") is None, reason="the action's steps run in bash")
@pytest.mark.parametrize(("inputs", "says"), [({"command": "gate"}, "needs the fleet input"),
                                               ({"command": "fleet"}, "unknown command 'fleet'")])
def test_the_action_reports_bad_inputs_as_exit_code_2_without_a_report(tmp_path, inputs, says):
    done, outputs = run_action_script(tmp_path, **inputs)
    assert done.returncode == 0  # the step that follows fails the job, after the (skipped) upload
    assert outputs == {"exit-code": "2"}
    assert "::error" in done.stdout and says in done.stdout


# --- .pre-commit-hooks.yaml -------------------------------------------------------------------------------

def test_every_hook_runs_an_accelctl_command_that_exists():
    hooks = load(HOOKS)
    ids = [h["id"] for h in hooks]
    assert len(ids) == len(set(ids))
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] == "python"  # pre-commit installs this repository into the hook's environment
        program, *words = shlex.split(hook["entry"])
        assert program == "accelctl"
        command, given, known = command_and_flags(words)
        assert command and given <= known, hook["id"]
        code, _, err = run_cli([*command, "--help"])
        assert code == 0, (hook["id"], err)
        re.compile(hook.get("files", ""))


def test_the_matrices_hook_validates_a_folder_and_names_a_broken_one(tmp_path):
    hook = next(h for h in load(HOOKS) if h["id"] == "accelctl-matrices-validate")
    _, *words = shlex.split(hook["entry"])
    assert run_cli(words)[0] == 0
    code, out, err = run_cli([*words, str(tmp_path / "missing")])
    assert code == 2 and "missing" in out + err


# --- the CI examples and the packaging ----------------------------------------------------------------------

def test_the_ci_examples_install_accelctl_from_its_repository():
    for path in [*WORKFLOWS, REPO / "docs" / "ci" / "gitlab-ci.yml"]:
        text = path.read_text()
        assert not re.search(r"pip install\s+(-\S+\s+)*accelctl\b(?!\s*@)", text), path
        assert "kaniko/executor" not in text and "kaniko-project" not in text, path  # archived: no updates


def test_the_github_examples_declare_the_permissions_an_upload_needs():
    for path in WORKFLOWS:
        workflow = load(path)
        text = path.read_text()
        calls_the_action = re.search(r"uses: (accelctl/accelctl@|\./\s)", text) and 'upload-sarif: "false"' not in text
        if "codeql-action/upload-sarif@" in text or calls_the_action:
            assert workflow["permissions"]["security-events"] == "write", path
            assert workflow["permissions"]["contents"] == "read", path


def test_the_test_extra_and_the_test_dependency_group_are_the_same():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["optional-dependencies"]["test"] == project["dependency-groups"]["test"]
    assert project["project"]["license"] == "Apache-2.0"
    assert all((REPO / name).is_file() for name in project["project"]["license-files"])


def test_shell_completion_is_available():
    code, out, _ = run_cli(["--help"])
    assert code == 0 and "--install-completion" in out and "--show-completion" in out


def tool(name: str) -> str | None:
    """A console script of the test environment (next to the interpreter), else one on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


@pytest.mark.parametrize(("schema", "paths"), [
    ("vendor.github-actions", [ACTION]),
    ("vendor.github-workflows", WORKFLOWS),
    ("vendor.gitlab-ci", [REPO / "docs" / "ci" / "gitlab-ci.yml"]),
])
def test_the_files_match_their_published_schemas(schema, paths):
    pytest.importorskip("check_jsonschema")
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(tool("actionlint") is None, reason="actionlint is not installed (the test extra brings it on Linux)")
def test_actionlint_passes_over_the_workflows_and_through_them_the_action():
    done = subprocess.run([tool("actionlint"), "-no-color", *map(str, WORKFLOWS)], cwd=str(REPO),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
