"""Doctor's orchestration: get an inventory (probe or load), diagnose it, build the plan."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from accelctl.errors import InputError, UsageError
from accelctl.record import record

if TYPE_CHECKING:
    from accelctl.host.base import Host
    from accelctl.inventory import Inventory
    from accelctl.matrices import MatrixSet
    from accelctl.probes.base import ProbeOptions
    from accelctl.report.model import Report


@record
class Source:
    """Where the inventory comes from: exactly one of these, or the live machine."""

    snapshot: str | None = None  # --from FILE
    root: str | None = None  # --root DIR
    env: Mapping[str, str] | None = None  # --env: the environment the --root tree runs with
    fixture: str | None = None  # a captured fixture folder (tests, bug reports)
    python: str | None = None  # --python PATH
    scan_fatbins: bool = False


@record
class Diagnosis:
    expect: Sequence[str] = ()
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    matrices: Sequence[str] = ()  # overlay folders
    assume: Sequence[str] = ()  # KEY=VALUE what-if overrides


# Where tool installers keep the environments they run a tool from: pipx (venvs, and `pipx run`'s cache),
# uv tool install (tools/), and uvx / `uv tool run`, whose throwaway environment lives in uv's cache
# (environments-v2 links into archive-v0: https://docs.astral.sh/uv/concepts/cache/).
_TOOL_ENV_MARKERS = ("/pipx/venvs/", "/pipx/.cache/", "/uv/tools/", "/uv/archive-v", "/uv/environments-v",
                     "/uv/builds-v")
# Folders the same tools take from the environment when the user moved them.
_TOOL_ENV_VARIABLES = ("UV_CACHE_DIR", "UV_TOOL_DIR", "PIPX_HOME", "PIPX_LOCAL_VENVS")
# Files the tools leave at the root of an environment they made.
_TOOL_ENV_RECEIPTS = ("pipx_metadata.json", "uv-receipt.toml")


def own_prefix(prefix: str | None = None, base_prefix: str | None = None, env: Mapping[str, str] | None = None,
               exists: Callable[[str], bool] = os.path.exists) -> str | None:
    """accelctl's own environment when it is a tool install (pipx, uv tool, uvx), so it does not inspect itself.

    Run from the user's own venv (``pip install accelctl`` next to torch), that venv is the one to inspect.
    Defaults: this interpreter's ``sys.prefix`` and ``sys.base_prefix``, and this process's environment.
    """
    prefix = sys.prefix if prefix is None else prefix
    base_prefix = getattr(sys, "base_prefix", prefix) if base_prefix is None else base_prefix
    env = os.environ if env is None else env
    if prefix == base_prefix:
        return None
    spellings = {prefix, os.path.realpath(prefix)}
    if any(m in p + "/" for p in spellings for m in _TOOL_ENV_MARKERS):
        return prefix
    for name in _TOOL_ENV_VARIABLES:
        folder = env.get(name, "").rstrip("/")
        folders = {folder, os.path.realpath(folder)} if folder else set()
        if any(p.startswith(f + "/") for p in spellings for f in folders):
            return prefix
    return prefix if any(exists(os.path.join(prefix, f)) for f in _TOOL_ENV_RECEIPTS) else None


def gather(source: Source, matrices: MatrixSet | None = None) -> Inventory:
    """The inventory: loaded from a snapshot or probed (the live machine by default), then what the matrices
    (``matrices``, else the bundled ones with the environment's overlays) add to it (``accelctl.derive``)."""
    from accelctl.derive import derive

    return derive(observe(source), matrices or matrix_set())


def observe(source: Source) -> Inventory:
    """What the probes saw on the host ``source`` names, or what a snapshot recorded."""
    if source.snapshot:
        from accelctl.inventory import load_snapshot

        return load_snapshot(source.snapshot)
    from accelctl.probes.base import ProbeOptions
    from accelctl.probes.collect import collect

    live = not (source.fixture or source.root)
    options = ProbeOptions(python=source.python, scan_fatbins=source.scan_fatbins, accelctl_prefix=own_prefix(),
                           working_dir=os.getcwd() if live else None)
    if source.fixture:
        from accelctl.host.fixture import FixtureHost

        return collect(_checked_python(FixtureHost(source.fixture), options), options, mode="fixture")
    if source.root:
        from accelctl.host.filesystem import FileSystemHost

        if not os.path.isdir(source.root):
            raise InputError(f"--root {source.root}: not a directory")
        host = FileSystemHost(source.root, env=source.env)
        return collect(_checked_python(host, options), options, mode="rootfs")
    from accelctl.host.live import LiveHost

    return collect(_checked_python(LiveHost(), options), options, mode="live")


def _checked_python(host: Host, options: ProbeOptions) -> Host:
    """``host``, once the interpreter ``--python`` names is found there: a wrong name is a usage error."""
    if options.python:
        from accelctl.probes.python_env import resolve_interpreter

        where = options.working_dir or host.env.get("PWD")
        if resolve_interpreter(host, options.python, where) is None:
            raise UsageError(
                f"--python {options.python}: no such interpreter", reference="python-not-found", field="--python",
                hint="give an interpreter (.venv/bin/python), an environment folder (.venv) or a command on PATH "
                     "(python3.12)")
    return host


def matrix_set(overlays: Sequence[str] = ()) -> MatrixSet:
    from accelctl.matrices import user_matrix_set

    return user_matrix_set(overlays)


def diagnose(inventory: Inventory, diagnosis: Diagnosis, matrices: MatrixSet | None = None) -> Report:
    """Findings and the fix-it plan for ``inventory`` (what-if assumptions applied first)."""
    matrices = matrices or matrix_set(diagnosis.matrices)
    if diagnosis.assume:
        from accelctl.assume import apply_assumptions
        from accelctl.derive import derive

        # an assumed fact (a torch build, a GPU) changes what follows from the matrices: derive again
        inventory = derive(apply_assumptions(inventory, diagnosis.assume, gpu_cc=lambda name: gpu_cc(matrices, name)),
                           matrices)
    from accelctl.plan.fixit import build_plan
    from accelctl.report.model import Report
    from accelctl.rules import all_rules, check_rule, select, sort_findings, sort_undecided
    from accelctl.rules.base import RuleContext, RuleOptions

    ctx = RuleContext(inventory, matrices, RuleOptions(expect=tuple(diagnosis.expect)))
    findings: list = []
    undecided: list = []
    rules = select(all_rules(), diagnosis.select, diagnosis.ignore)
    for rule in rules:
        outcome = check_rule(ctx, rule)
        findings.extend(outcome.findings)
        undecided.extend(outcome.undecided)
    findings = sort_findings(findings)
    return Report(inventory, findings, build_plan(findings), sort_undecided(undecided), [r.id for r in rules])


def gpu_cc(matrices: MatrixSet, name: str) -> str | None:
    """Compute capability of a GPU model from the nvidia_gpus matrix (None when unknown)."""
    from accelctl.matrices import MatrixError

    try:
        from accelctl.matrices.subjects import nvidia_gpus

        return nvidia_gpus.cc_for_name(matrices.entries("nvidia_gpus"), name)
    except (ImportError, MatrixError):
        return None


def exit_code(report: Report, fail_on: str) -> int:
    if fail_on == "never":
        return 0
    from accelctl.findings import SEVERITY_ORDER

    threshold = SEVERITY_ORDER[fail_on]  # an undecided check counts at its level (warning by default)
    return 1 if any(SEVERITY_ORDER[s] >= threshold for s in report.severities()) else 0
