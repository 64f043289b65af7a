"""The doctor fast path reads the same options as the typer command, and gives up on anything else."""

from __future__ import annotations

import pytest
from typer.main import get_command

from accelctl.cli import build_app
from accelctl.cli.fastpath import FLAGS, LISTS, VALUES, parse_doctor
from tests.conftest import run_cli


def _doctor_params():
    return get_command(build_app(only="doctor")).commands["doctor"].params


def test_the_option_table_matches_the_typer_command():
    covered = set()
    for p in _doctor_params():
        if p.name == "help":
            continue
        for opt in list(p.opts) + list(p.secondary_opts):
            covered.add(opt)
            if opt in FLAGS:
                assert FLAGS[opt][0] == p.name and p.is_flag
            elif opt in VALUES:
                assert VALUES[opt] == p.name and not p.is_flag and not p.multiple
            elif opt in LISTS:
                assert LISTS[opt] == p.name and p.multiple
            else:
                pytest.fail(f"fast path does not know {opt}")
    assert covered == set(FLAGS) | set(VALUES) | set(LISTS)


ARGVS = [
    [],
    ["--json"],
    ["--format", "markdown", "--fail-on", "warning"],
    ["-f", "sarif", "-o", "out.sarif", "--no-color"],
    ["--from=node.json", "--select", "DRV001", "--select=LIB002", "--ignore", "GEN"],
    ["--root", "/mnt/image", "--expect", "nvidia", "--assume", "driver=550.54.15", "--assume", "gpu=RTX 5090"],
    ["--python", "/opt/venv/bin/python", "--scan-fatbins", "--matrices", "/etc/accelctl", "--debug", "--color"],
    ["--snapshot", "snap.json", "--fail-on", "never"],
]


@pytest.mark.parametrize("argv", ARGVS)
def test_same_arguments_as_typer(argv, monkeypatch):
    from accelctl.cli import doctor_run

    seen = []
    monkeypatch.setattr(doctor_run, "run", lambda args: seen.append(args) or 0)
    code, _, err = run_cli(["doctor", *argv])
    assert code == 0, err
    assert parse_doctor(argv) == seen[0]


@pytest.mark.parametrize("argv", [
    ["--help"], ["-fjson"], ["--from"], ["--from", "--json"], ["--format", "bogus"], ["--fail-on", "sometimes"],
    ["--from", "a.json", "--root", "/mnt"], ["extra"], ["--json=yes"], ["--unknown"], ["--format", ""],
])
def test_anything_else_goes_to_typer(argv):
    assert parse_doctor(argv) is None


def test_the_executable_gives_the_same_report_either_way(tmp_path, monkeypatch, capsys):
    import os
    import sys

    from accelctl import entry
    from tests.builders import H100, make_inventory

    snap = tmp_path / "node.json"
    snap.write_text(make_inventory(driver="535.104.05", gpus=[H100], dists=[("torch", "2.11.0+cu130", [])]).to_json())
    argv = ["doctor", "--from", str(snap), "--json", "--fail-on", "warning"]
    code, typer_out, _ = run_cli(argv)
    monkeypatch.setattr(sys, "argv", ["accelctl", *argv])

    def exit_now(status):  # the executable ends with os._exit; here that would end pytest
        raise SystemExit(status)

    monkeypatch.setattr(os, "_exit", exit_now)
    with pytest.raises(SystemExit) as info:
        entry.main()
    assert info.value.code == code == 1
    assert capsys.readouterr().out == typer_out


def test_the_executable_flushes_everything_before_it_ends(tmp_path):
    """The fast exit skips interpreter shutdown: the whole report must still arrive, with the exit code."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from tests.builders import H100, make_inventory

    snap = tmp_path / "node.json"
    snap.write_text(make_inventory(driver="535.104.05", gpus=[H100], dists=[("torch", "2.11.0+cu130", [])]).to_json())
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-m", "accelctl", "doctor", "--from", str(snap), "--json", "--fail-on", "warning"],
                         capture_output=True, text=True, cwd=str(repo), timeout=60)
    assert out.returncode == 1, out.stderr
    report = json.loads(out.stdout)
    assert report["summary"]["warnings"] + report["summary"]["errors"] >= 1
    written = tmp_path / "report.json"
    again = subprocess.run([sys.executable, "-m", "accelctl", "doctor", "--from", str(snap), "--json", "-o", str(written)],
                           capture_output=True, text=True, cwd=str(repo), timeout=60)
    assert again.returncode == (1 if report["summary"]["errors"] else 0) and again.stdout == ""
    assert json.loads(written.read_text()) == report
