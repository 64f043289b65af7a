"""Runs the python probe (which reads the framework wheels), then derive on an environment fixture of tests/fixtures/envs/."""

from __future__ import annotations

from accelctl.derive.frameworks import derive_environment
from accelctl.host.filesystem import FileSystemHost
from accelctl.inventory.python_env import FrameworkInfo, PythonEnvironment
from accelctl.matrices import MatrixSet
from accelctl.probes import python_env
from accelctl.probes.base import ProbeContext, ProbeOptions
from tests.conftest import FIXTURES

ENVS = FIXTURES / "envs"


def probe_env(name: str, python: str = "/opt/venv/bin/python3", scan: bool = False) -> tuple[PythonEnvironment, dict[str, FrameworkInfo], list]:
    ctx = ProbeContext(FileSystemHost(str(ENVS / name)), ProbeOptions(python=python, scan_fatbins=scan), "python")
    [observed] = python_env.probe(ctx)
    env = derive_environment(observed, MatrixSet(), ctx.unknowns)
    return env, {f.name: f for f in env.frameworks}, [(u.fact, u.reason) for u in ctx.unknowns]
