"""Commands never hang past their timeout and never raise."""

from __future__ import annotations

import time

from accelctl.host.commands import run_command


def test_a_hanging_command_costs_at_most_its_timeout():
    start = time.monotonic()
    result = run_command(["sleep", "30"], timeout=0.5)
    assert result.timed_out and not result.ok
    assert time.monotonic() - start < 3.0
    assert "did not answer within" in result.why_failed()


def test_a_missing_command_is_a_result():
    result = run_command(["accelctl-no-such-tool"], timeout=1)
    assert result.missing and result.why_failed() == "accelctl-no-such-tool is not installed"


def test_output_and_status_are_kept():
    result = run_command(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=5)
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert result.why_failed() == "sh exited with 3: err"
