"""Check many nodes' snapshots at once: the same diagnosis as ``doctor --from``, per node, plus a roll-up.

Nodes write ``accelctl doctor --snapshot`` files (cheap, no rules); one process
checks them all against one set of matrices. With ``jobs > 1`` the snapshots
are split over worker processes, each loading the matrices once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from accelctl.derive import derive
from accelctl.doctor import Diagnosis, diagnose, matrix_set
from accelctl.findings import SEVERITY_ORDER
from accelctl.inventory import SnapshotError, load_snapshot
from accelctl.matrices import MatrixError, MatrixSet
from accelctl.report.fleet_model import FleetReport, NodeFinding, NodeResult

if TYPE_CHECKING:
    from concurrent.futures import Future

def snapshot_paths(inputs: Sequence[str]) -> list[str]:
    """Files as given; folders expand to their ``*.json`` files (sorted, not recursive)."""
    from accelctl.errors import InputError

    paths: list[str] = []
    for item in inputs:
        if os.path.isdir(item):
            try:
                names = sorted(n for n in os.listdir(item) if n.endswith(".json"))
            except OSError as exc:
                raise InputError(f"{item}: cannot list: {exc.strerror or exc}") from None
            paths.extend(os.path.join(item, n) for n in names)
        elif os.path.exists(item):
            paths.append(item)
        else:
            raise InputError(f"{item}: no such file or folder")
    return paths


def check_node(path: str, diagnosis: Diagnosis, matrices: MatrixSet) -> NodeResult:
    """One node's result; a file that cannot be used is a bad node with its error, never the end of the run."""
    try:
        inventory = derive(load_snapshot(path), matrices)
    except SnapshotError as exc:
        return NodeResult(path=path, node=_node_name(path), error=str(exc))
    try:
        report = diagnose(inventory, diagnosis, matrices)
    except MatrixError:
        raise  # the matrices, not this node, are broken: the run stops with exit 2
    except Exception as exc:  # noqa: BLE001 - one odd snapshot must not cost the other nodes' results
        return NodeResult(path=path, node=_node_name(path),
                          error=f"{path}: could not be checked: {type(exc).__name__}: {exc}")
    s = report.summary
    findings = [NodeFinding(f.rule_id, f.severity, f.title, f.subject) for f in report.findings]
    findings += [NodeFinding(u.rule_id, u.severity, u.title, u.subject, "undecided") for u in report.undecided]
    return NodeResult(path=path, node=_node_name(path), errors=s.errors, warnings=s.warnings, infos=s.infos,
                      findings=findings)


def _node_name(path: str) -> str:
    name = os.path.basename(path)
    return name.removesuffix(".json")


def check_fleet(paths: Sequence[str], diagnosis: Diagnosis, jobs: int = 1,
                progress: Callable[[str], None] | None = None) -> FleetReport:
    """Check every snapshot; ``progress(node)`` is called as each one is done (by chunks with ``jobs``)."""
    done = progress or (lambda node: None)
    matrices = matrix_set(diagnosis.matrices)
    for name in matrices.names():  # a broken overlay stops the run (exit 2) before any node is judged
        matrices.get(name)
    if jobs <= 1 or len(paths) < 2 * jobs:
        nodes = []
        for p in paths:
            nodes.append(check_node(p, diagnosis, matrices))
            done(nodes[-1].node)
        return FleetReport(nodes)
    from concurrent.futures import ProcessPoolExecutor

    from accelctl.interrupts import end_process_trees, signals_raise

    chunks = _chunks(list(paths), jobs * 4)
    with signals_raise():
        pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init, initargs=(diagnosis,))
        try:
            futures = [pool.submit(_worker_check, chunk) for chunk in chunks]
            parts = [_chunk_result(chunk, future) for chunk, future in zip(chunks, futures)]
        except BaseException:  # Ctrl-C, SIGTERM or a failure: no worker outlives the run
            end_process_trees(list(getattr(pool, "_processes", None) or {}))
            pool.shutdown(wait=False, cancel_futures=True)  # the pool reaps its killed workers itself
            raise
        pool.shutdown(wait=True)
    for part in parts:
        for node in part:
            done(node.node)
    return FleetReport([node for part in parts for node in part])


def _chunk_result(chunk: list[str], future: Future[list[NodeResult]]) -> list[NodeResult]:
    """A worker's results; a worker that died (killed for memory, a crash) makes its nodes bad nodes, not the run."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - BrokenProcessPool, or what the worker raised
        why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return [NodeResult(path=p, node=_node_name(p), error=f"{p}: could not be checked: the worker failed ({why})")
                for p in chunk]


def _chunks(items: list[str], count: int) -> list[list[str]]:
    size = max(1, -(-len(items) // count))
    return [items[i:i + size] for i in range(0, len(items), size)]


# Worker processes: the diagnosis and the loaded matrices live for the worker's lifetime.
_WORKER: dict[str, Any] = {}


def _worker_init(diagnosis: Diagnosis) -> None:
    _WORKER["diagnosis"] = diagnosis
    _WORKER["matrices"] = matrix_set(diagnosis.matrices)


def _worker_check(paths: Iterable[str]) -> list[NodeResult]:
    return [check_node(p, _WORKER["diagnosis"], _WORKER["matrices"]) for p in paths]


# Exit statuses of `fleet`; 4 says both things at once (docs/output.md).
FLEET_UNREADABLE_AND_FINDINGS = 4


def exit_code(report: FleetReport, fail_on: str) -> int:
    """0 clean; 1 a node has findings at or above ``fail_on``; 2 a snapshot was unreadable; 4 both."""
    unreadable = any(n.error is not None for n in report.nodes)
    failing = fail_on != "never" and any(
        SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[fail_on] for n in report.nodes for f in n.findings)
    if unreadable and failing:
        return FLEET_UNREADABLE_AND_FINDINGS
    return 2 if unreadable else 1 if failing else 0
