"""The text report on a real terminal: 80 columns, commands whole on their own lines, colour conventions, progress.

These run ``python -m accelctl`` in a child process whose standard output (and,
for progress, standard error) is a pseudo-terminal, as a user's shell gives it.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import time

import pytest

from accelctl.doctor import Diagnosis, diagnose
from tests.builders import H100, make_inventory
from tests.conftest import REPO

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    """A node whose report has errors, warnings and a plan with long and several commands (DRV001, DRV002, DRV003)."""
    inv = make_inventory(driver="535.104.05", libcuda="550.54.15", gpus=[H100],
                         dists=[("torch", "2.11.0+cu130", [])])
    path = tmp_path_factory.mktemp("snap") / "node.json"
    path.write_text(inv.to_json(), encoding="utf-8")
    report = diagnose(inv, Diagnosis())
    commands = [c for p in report.plan for c in p.step.commands] + [p.step.verify for p in report.plan if p.step.verify]
    assert any(len(c) > 80 for c in commands) and any(len(p.step.commands) > 1 for p in report.plan)
    return path, commands


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "CI")}
    env.update(PYTHONPATH=str(REPO), TERM="xterm-256color", **extra)
    return env


def _read_all(fd: int, proc: subprocess.Popen, limit: float = 60.0) -> bytes:
    """Everything written to a pseudo-terminal's master until the child exits and the terminal is drained."""
    out = bytearray()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    return bytes(out)


def run_on_tty(args: list[str], env: dict[str, str], tty_stream: str = "stdout") -> tuple[int, str, str]:
    """Run ``python -m accelctl ARGS`` with ``tty_stream`` on a pseudo-terminal; (exit code, tty text, other text)."""
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    streams = {"stdout": slave, "stderr": subprocess.PIPE} if tty_stream == "stdout" else \
        {"stdout": subprocess.PIPE, "stderr": slave}
    proc = subprocess.Popen([sys.executable, "-m", "accelctl", *args], env=env, stdin=subprocess.DEVNULL, **streams)
    os.close(slave)
    try:
        seen = _read_all(master, proc)
        other = (proc.stderr if tty_stream == "stdout" else proc.stdout).read()  # type: ignore[union-attr]
        code = proc.wait(timeout=60)
    finally:
        os.close(master)
    return code, seen.decode("utf-8", "replace").replace("\r\n", "\n"), other.decode("utf-8", "replace")


def run_piped(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``python -m accelctl ARGS`` with both output streams piped."""
    return subprocess.run([sys.executable, "-m", "accelctl", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_text_report_fits_80_columns_and_keeps_every_command_whole(snapshot):
    path, commands = snapshot
    code, out, err = run_on_tty(["doctor", "--from", str(path)], _env(COLUMNS="80"))
    assert code == 1, err
    assert ANSI.search(out), "a terminal gets colour by default"
    lines = [ANSI.sub("", line).rstrip() for line in out.splitlines()]
    for cmd in commands:
        assert any(line.strip() == cmd for line in lines), f"not whole on one line: {cmd}"
    whole = set(commands)
    assert [line for line in lines if len(line) > 80 and line.strip() not in whole] == []
    flat = " ".join(" ".join(line.split()) for line in lines)  # the header may wrap: a long path is one word
    assert f"Checked snapshot {path} (taken on" in flat, "\n".join(lines[:8])
    assert "this machine (live)" not in out


def test_no_color_is_honoured_on_a_terminal(snapshot):
    path, _ = snapshot
    code, out, _ = run_on_tty(["doctor", "--from", str(path)], _env(COLUMNS="80", NO_COLOR="1"))
    assert code == 1 and "DRV001" in out and not ANSI.search(out)
    code, out, _ = run_on_tty(["doctor", "--from", str(path), "--color"], _env(COLUMNS="80", NO_COLOR="1"))
    assert ANSI.search(out), "--color wins over NO_COLOR"


def test_force_color_is_honoured_in_a_pipe(snapshot):
    path, _ = snapshot
    piped = run_piped(["doctor", "--from", str(path)], _env())
    assert "DRV001" in piped.stdout and not ANSI.search(piped.stdout)
    forced = run_piped(["doctor", "--from", str(path)], _env(FORCE_COLOR="1"))
    assert ANSI.search(forced.stdout)
    off = run_piped(["doctor", "--from", str(path), "--no-color"], _env(FORCE_COLOR="1"))
    assert not ANSI.search(off.stdout), "--no-color wins over FORCE_COLOR"


def _snapshots(folder, snapshot, count):
    path, _ = snapshot
    folder.mkdir()
    for i in range(count):
        (folder / f"node-{i:02d}.json").write_text(path.read_text(), encoding="utf-8")
    return folder


def test_fleet_shows_progress_on_a_terminal_only(tmp_path, snapshot):
    folder = _snapshots(tmp_path / "snaps", snapshot, 12)
    piped = run_piped(["fleet", str(folder)], _env())
    assert piped.returncode == 1 and "12 snapshot(s)" in piped.stdout
    assert piped.stderr == "", "no progress when standard error is not a terminal"
    code, on_tty, out = run_on_tty(["fleet", str(folder)], _env(COLUMNS="80"), tty_stream="stderr")
    assert code == 1 and "12 snapshot(s)" in out and max(len(line) for line in out.splitlines()) <= 80
    assert "checking snapshots" in ANSI.sub("", on_tty)


def test_progress_is_silent_on_streams_that_are_not_terminals():
    from accelctl.report.terminal import progress

    stream = io.StringIO()
    with progress("working", 3, stream, {}) as advance:
        for name in ("a", "b", "c"):
            advance(name)
    assert stream.getvalue() == ""


@pytest.mark.parametrize(("flag", "env", "tty", "expected"), [
    (None, {}, True, True),
    (None, {}, False, False),
    (None, {"NO_COLOR": "1"}, True, False),
    (None, {"NO_COLOR": ""}, True, True),  # an empty NO_COLOR does not count (no-color.org)
    (None, {"FORCE_COLOR": "1"}, False, True),
    (None, {"TERM": "dumb"}, True, False),
    (True, {"NO_COLOR": "1"}, False, True),
    (False, {"FORCE_COLOR": "1"}, True, False),
])
def test_color_conventions(flag, env, tty, expected):
    from accelctl.report.terminal import color_wanted

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    assert color_wanted(flag, Stream(), env) is expected


def test_gate_text_names_the_image_once_and_fits_80_columns(tmp_path, monkeypatch):
    from tests.conftest import run_cli
    from tests.gate.imagebuild import docker_save
    from tests.gate.test_fleet_verdicts import ENV, FLEET, layers

    image = docker_save(tmp_path / "app.tar", layers(), ENV)
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(FLEET)
    code, json_out, _ = run_cli(["gate", "--fleet", str(fleet), "--image", str(image), "--format", "json"])
    commands = {c for cls in json.loads(json_out)["classes"] for p in cls["plan"] for c in p["step"]["commands"]}
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run_cli(["gate", "--fleet", str(fleet), "--image", str(image)])
    assert code == 1
    first = out.splitlines()[0]
    assert "image image" not in out and first.startswith("accelctl gate: FAILED — image ")
    assert [line for line in out.splitlines() if len(line) > 80 and line.strip() not in commands] == []
    assert commands and all(any(line.strip() == c for line in out.splitlines()) for c in commands)
