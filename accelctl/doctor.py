"""Doctor's orchestration: get an inventory (probe or load), diagnose it, build the plan.

Imports are taken where they are used: a live run reaches its first probe with
little imported, and what diagnosing needs (rules, matrices, packaging) is
imported while probes work in their own processes (``diagnosis_imports``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING

from accelctl.record import record

if TYPE_CHECKING:
    from accelctl.inventory import Inventory
    from accelctl.matrices import MatrixSet
    from accelctl.report.model import Report


@record
class Source:
    """Where the inventory comes from: exactly one of these, or the live machine."""

    snapshot: str | None = None  # --from FILE
    root: str | None = None  # --root DIR
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


_TOOL_ENV_MARKERS = ("/pipx/venvs/", "/uv/tools/", "/pipx/.cache/")


def own_prefix() -> str | None:
    """accelctl's own environment when it is a tool install (pipx, uv tool), so it does not inspect itself.

    Run from the user's own venv (``pip install accelctl`` next to torch), that venv is the one to inspect.
    """
    prefix = sys.prefix
    if prefix == getattr(sys, "base_prefix", prefix):
        return None
    return prefix if any(m in prefix + "/" for m in _TOOL_ENV_MARKERS) else None


def gather(source: Source, matrices: MatrixSet | None = None,
           meanwhile: Sequence[Callable[[], None]] = (),
           rehearse: Callable[[Inventory], object] | None = None) -> Inventory:
    """The inventory: loaded from a snapshot, or probed (``matrices``: the run's, so probes and rules share loads;
    ``meanwhile`` and ``rehearse``: the caller's next imports and its diagnosis, tried while probes run in their
    own processes; see ``probes.collect``)."""
    if source.snapshot:
        from accelctl.inventory import load_snapshot

        return load_snapshot(source.snapshot)
    from accelctl.probes.base import ProbeOptions
    from accelctl.probes.collect import collect

    options = ProbeOptions(python=source.python, scan_fatbins=source.scan_fatbins, accelctl_prefix=own_prefix())
    if source.fixture:
        from accelctl.host.fixture import FixtureHost

        return collect(FixtureHost(source.fixture), options, mode="fixture", matrices=matrices)
    if source.root:
        from accelctl.host.filesystem import FileSystemHost

        if not os.path.isdir(source.root):
            from accelctl.cli.exits import InputError

            raise InputError(f"--root {source.root}: not a directory")
        return collect(FileSystemHost(source.root), options, mode="rootfs", matrices=matrices)
    from accelctl.host.live import LiveHost

    return collect(LiveHost(), options, mode="live", matrices=matrices, meanwhile=meanwhile, rehearse=rehearse)


# The matrices the rules read on an NVIDIA node with a CUDA framework (the H100 node's run reads these, besides
# the frameworks probe's pytorch and jax). Only a hint for idle time: a rule loads whatever else it needs itself.
USUAL_RULE_MATRICES = ("cuda_toolkit", "cuda_minor_compat", "nvidia_driver_branches", "cuda_arch_support",
                       "cuda_host_compilers")


def diagnosis_imports(fmt: str, matrices: MatrixSet | None = None) -> list[Callable[[], None]]:
    """Steps that prepare what diagnosing and rendering ``fmt`` will need, for idle time during the probes:
    the rule modules (with the matrices and packaging), the plan, the renderer (rich for text), and the
    matrices rules usually read, one step each (loaded into ``matrices``, the run's)."""
    from accelctl.report import renderer

    def import_rules() -> None:
        from accelctl.rules import all_rules

        all_rules()

    def import_plan() -> None:
        import accelctl.plan.fixit
        import accelctl.report.model  # noqa: F401

    def import_renderer() -> None:
        renderer(fmt)
        if fmt == "text":
            from accelctl.report.text import prepare

            prepare()

    def load(name: str) -> Callable[[], None]:
        def step() -> None:  # a broken matrix is left to the rule that reads it, which reports it
            matrices.entries_or_empty(name)  # type: ignore[union-attr]

        step.__name__ = f"load_matrix_{name}"
        return step

    loads = [load(name) for name in USUAL_RULE_MATRICES] if matrices is not None else []
    return [import_rules, import_plan, import_renderer, *loads]


def matrix_set(overlays: Sequence[str] = ()) -> MatrixSet:
    from accelctl.matrices import user_matrix_set

    return user_matrix_set(overlays)


def diagnose(inventory: Inventory, diagnosis: Diagnosis, matrices: MatrixSet | None = None) -> Report:
    parts = diagnosis_in_parts(inventory, diagnosis, matrices)
    while True:
        try:
            next(parts)
        except StopIteration as done:
            return done.value


def diagnosis_in_parts(inventory: Inventory, diagnosis: Diagnosis,
                       matrices: MatrixSet | None = None) -> Generator[None, None, Report]:
    """``diagnose``, pausing after each rule (its report is the generator's return value).

    A rehearsal of the diagnosis in idle time (``probes.collect``) is taken part by
    part while probes still work, so it stops between two rules when the last probe
    ends instead of running on (it was one ~8 ms step on the node).
    """
    matrices = matrices or matrix_set(diagnosis.matrices)
    if diagnosis.assume:
        from accelctl.assume import apply_assumptions

        inventory = apply_assumptions(inventory, diagnosis.assume, gpu_cc=lambda name: gpu_cc(matrices, name))
    from accelctl.plan.fixit import build_plan
    from accelctl.report.model import Report
    from accelctl.rules import all_rules, check_rule, select, sort_findings, sort_undecided
    from accelctl.rules.base import RuleContext, RuleOptions

    ctx = RuleContext(inventory, matrices, RuleOptions(expect=tuple(diagnosis.expect)))
    findings: list = []
    undecided: list = []
    rules = select(all_rules(), diagnosis.select, diagnosis.ignore)
    for rule in rules:
        yield
        outcome = check_rule(ctx, rule)
        findings.extend(outcome.findings)
        undecided.extend(outcome.undecided)
    yield
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
