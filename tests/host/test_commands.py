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


def test_a_tool_that_prints_forever_is_stopped_at_the_cap(tmp_path):
    from accelctl.host.commands import _MAX_OUTPUT

    tool = tmp_path / "nvidia-smi"  # a wedged tool that never stops printing
    tool.write_text("#!/bin/sh\nwhile :; do echo 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)'; done\n")
    tool.chmod(0o755)
    start = time.monotonic()
    result = run_command([str(tool)], timeout=30)
    assert time.monotonic() - start < 10  # stopped at the cap, long before its timeout
    assert len(result.stdout) <= _MAX_OUTPUT and result.stdout.startswith("GPU 0: NVIDIA H100")
    assert not result.ok and "output larger than" in result.why_failed()


def test_output_on_both_streams_is_read_as_it_comes():
    # more than a pipe's buffer on each stream: reading one to its end first would deadlock
    result = run_command(["sh", "-c", "head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2; exit 0"], timeout=10)
    assert result.ok and len(result.stdout) == len(result.stderr) == 300000
