"""accelctl's own errors as a user meets them: reference, message, file/field, hint, and the exit code."""

from __future__ import annotations

from tests.conftest import run_cli


def error_parts(err: str) -> tuple[str, str]:
    """(reference, hint) of a rendered error."""
    lines = err.splitlines()
    assert lines[0].startswith("error: "), err
    hints = [line for line in lines if line.startswith("hint: ")]
    return lines[0].removeprefix("error: "), hints[0] if hints else ""


# -- the boundary --------------------------------------------------------------------------------------------------

def test_usage_errors_of_the_option_parser_are_rendered_like_ours():
    code, out, err = run_cli(["doctor", "--format", "yaml"])
    assert (code, out) == (2, "")
    reference, hint = error_parts(err)
    assert reference == "bad-usage" and "unknown format 'yaml'" in err and "argument: --format" in err
    assert "accelctl doctor --help" in hint
    code, _, err = run_cli(["doctr"])
    assert code == 2 and error_parts(err)[0] == "bad-usage" and "'doctor'" in err


def test_an_internal_failure_exits_3_and_debug_shows_the_traceback(h100_snapshot, monkeypatch):
    import accelctl.doctor

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(accelctl.doctor, "diagnose", broken)
    code, out, err = run_cli(["doctor", "--from", str(h100_snapshot)])
    assert (code, out) == (3, "")
    reference, hint = error_parts(err)
    assert reference == "internal-error" and "RuntimeError: boom" in err and "--debug" in hint
    assert "Traceback" not in err
    code, _, err = run_cli(["doctor", "--from", str(h100_snapshot), "--debug"])
    assert code == 3 and "Traceback" in err and "RuntimeError: boom" in err


def test_old_error_names_still_import_and_are_accelctl_errors():
    from accelctl.assume import AssumptionError
    from accelctl.cli.exits import Exit, InputError
    from accelctl.errors import AccelctlError, ExitCode
    from accelctl.errors import InputError as CoreInputError
    from accelctl.inventory import SnapshotError
    from accelctl.matrices import MatrixError

    assert InputError is CoreInputError and Exit is ExitCode
    for cls in (InputError, SnapshotError, MatrixError, AssumptionError):
        assert issubclass(cls, AccelctlError)
    assert issubclass(SnapshotError, ValueError)  # callers that catch ValueError keep working
    assert MatrixError(["a: b", "c: d"]).problems == ["a: b", "c: d"]


def test_the_executable_renders_errors_the_same_way(h100_snapshot):
    """A real process, as a user runs it (the executable's own start-up path included)."""
    import subprocess
    import sys

    from tests.conftest import REPO

    proc = subprocess.run([sys.executable, "-m", "accelctl", "doctor", "--from", str(h100_snapshot), "--assume",
                           "drivr=550.54.15"], capture_output=True, text=True, cwd=str(REPO), timeout=60, check=False)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.startswith("error: bad-assume-key\n") and "hint: did you mean 'driver'?" in proc.stderr
