"""The CLI registers only the command a run needs; help and typos still see every command."""

from __future__ import annotations

from typer.main import get_command

from accelctl.cli import COMMANDS, build_app
from tests.conftest import run_cli


def test_a_run_builds_only_its_command():
    assert set(get_command(build_app(only="doctor")).commands) == {"doctor"}
    assert set(get_command(build_app(only="rules")).commands) == {"explain", "rules"}
    assert set(get_command(build_app()).commands) == set(COMMANDS)
    assert set(get_command(build_app(only="nope")).commands) == set(COMMANDS)


def test_help_and_typos_see_every_command():
    code, out, _ = run_cli(["--help"])
    assert code == 0 and all(name in out for name in COMMANDS)
    code, _, err = run_cli(["doctr"])
    assert code == 2 and "doctor" in err
