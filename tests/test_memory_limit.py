"""Under a 2 GiB address-space limit, hostile inputs end in exit 2 naming the file: no traceback, no signal death.

The limit stands in for a CI runner's memory: before reads were bounded, several of these took
gigabytes (``doctor --from /dev/zero`` past 12 GB, a YAML alias bomb 5.5 GB).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.hostile import ALIAS_BOMB, DEEP_JSON, HUGE_INT_JSON, fleet_yaml, huge_metadata_image

LIMIT = 2 << 30
TIMEOUT = 60


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def run_limited(args: list[str], cwd) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), TMPDIR=str(cwd))
    return subprocess.run([sys.executable, *args], check=False, cwd=str(cwd), env=env, preexec_fn=_limited,
                          capture_output=True, text=True, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    os.mkfifo(d / "fifo.json")
    (d / "deep.json").write_text(DEEP_JSON)
    (d / "digits.json").write_text(HUGE_INT_JSON)
    (d / "bomb.yaml").write_text(ALIAS_BOMB)
    (d / "fleet.yaml").write_text(fleet_yaml())
    (d / "fifo-class.yaml").write_text(fleet_yaml(snapshot="fifo.json"))
    huge_metadata_image(d / "huge-metadata.tar")  # 400 MB METADATA in a ~420 KB archive
    tool = d / "nvidia-smi"
    tool.write_text("#!/bin/sh\nwhile :; do echo 'GPU 0: NVIDIA H100 80GB HBM3'; done\n")
    tool.chmod(0o755)
    return d


CASES = {
    "doctor --from /dev/zero": (["doctor", "--from", "/dev/zero"], "/dev/zero"),
    "doctor --from FIFO": (["doctor", "--from", "fifo.json"], "fifo.json"),
    "doctor --from deep JSON": (["doctor", "--from", "deep.json"], "deep.json"),
    "doctor --from huge integer": (["doctor", "--from", "digits.json"], "digits.json"),
    "gate alias bomb": (["gate", "--fleet", "bomb.yaml", "--image", "huge-metadata.tar"], "bomb.yaml"),
    "gate class snapshot FIFO": (["gate", "--fleet", "fifo-class.yaml", "--image", "huge-metadata.tar"], "fifo.json"),
    "gate FIFO image": (["gate", "--fleet", "fleet.yaml", "--image", "fifo.json"], "fifo.json"),
    "fleet of bad files": (["fleet", "fifo.json", "deep.json", "digits.json", "/dev/zero", "--fail-on", "never"],
                           "digits.json"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_exits_2_within_the_limit(hostile, name):
    args, named = CASES[name]
    result = run_limited(["-m", "accelctl", *args], hostile)
    assert result.returncode == 2, (name, result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and named in result.stdout + result.stderr


def test_a_huge_member_is_read_within_the_limit(hostile):
    result = run_limited(["-m", "accelctl", "gate", "--fleet", "fleet.yaml", "--image", "huge-metadata.tar"], hostile)
    assert result.returncode == 0, result.stderr[-2000:]
    assert not [n for n in os.listdir(hostile) if n.startswith("accelctl-image-")]


def test_a_tool_that_prints_forever_is_read_within_the_limit(hostile):
    code = ("from accelctl.host.commands import run_command\n"
            f"r = run_command([{str(hostile / 'nvidia-smi')!r}], timeout=30)\n"
            "print(len(r.stdout), r.returncode)\n")
    result = run_limited(["-c", code], hostile)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stdout.split()[0] == str(1 << 20)
