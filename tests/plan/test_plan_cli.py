"""`accelctl plan` as a user runs it: files written, refusals explained, real resolver checks."""

from __future__ import annotations

import json
import os
import re
import socket

import pytest

from tests.conftest import run_cli


def test_writes_every_output_file(tmp_path):
    code, _out, _ = run_cli(["plan", "torch", "torchvision", "--driver", "550.54.15", "--cc", "9.0", "--python", "3.11",
                            "-o", str(tmp_path)])
    assert code == 0
    names = sorted(os.listdir(tmp_path))
    assert names == ["Dockerfile", "PLAN.md", "constraints.txt", "pyproject.uv.toml", "requirements.txt"]
    req = (tmp_path / "requirements.txt").read_text()
    assert re.search(r"^torch==\S+ +# ", req, re.MULTILINE) and re.search(r"^torchvision==\S+ +# ", req, re.MULTILINE)
    uv = (tmp_path / "pyproject.uv.toml").read_text()
    assert "[project]" in uv and '"torch==' in uv


def test_dockerfile_base_agrees_with_the_requirements(tmp_path):
    _code, out, _ = run_cli(["plan", "torch", "--driver", "550.54.15", "--cc", "9.0", "--python", "3.11", "--format", "json"])
    data = json.loads(out)
    runtime = data["runtime"]
    image = data["base_image"]
    if image is None:
        pytest.skip("no container_images matrix entry for this runtime")
    assert runtime["kind"] == "cuda"
    tag = image["reference"].split(":", 1)[1]
    assert tag.startswith(runtime["version"])  # nvidia/cuda:12.4.1-base-... for a cu124 build


def test_refusal_exits_1_and_names_the_fix():
    code, out, _ = run_cli(["plan", "torch", "--driver", "535.104.05", "--cc", "12.0"])
    assert code == 1
    assert "Cannot plan:" in out and "smallest change: upgrade the NVIDIA driver" in out


def test_bad_want_is_a_usage_error():
    code, _, err = run_cli(["plan", "torch>=>2", "--cpu"])
    assert code == 2 and "cannot read the requirement" in err


def _index_reachable() -> bool:
    if os.environ.get("ACCELCTL_OFFLINE") == "1":
        return False
    try:
        socket.create_connection(("pypi.org", 443), timeout=3).close()
        return True
    except OSError:
        return False


network = pytest.mark.skipif(not _index_reachable(), reason="needs a reachable package index (PyPI)")


def _pip_ok() -> bool:
    from accelctl.plan.resolve import pip_too_old

    return not pip_too_old()


recent_pip = pytest.mark.skipif(not _pip_ok(), reason="this pip cannot resolve for another Python version")


@pytest.mark.network
@network
@recent_pip
def test_cpu_plan_resolves_with_pip():
    code, _, err = run_cli(["plan", "jax", "--cpu", "--python", "3.11", "--resolve"])
    assert code == 0, err
    assert "pip resolver: resolves:" in err


@pytest.mark.network
@network
@recent_pip
def test_default_pypi_plan_resolves_with_pip():
    code, out, err = run_cli(["plan", "torch==2.8.0", "--driver", "570.86.10", "--cc", "9.0", "--python", "3.12", "--resolve"])
    assert code == 0, err
    assert "--extra-index-url" not in out  # the PyPI default build: no other index needed
    assert "pip resolver: resolves:" in err
