"""Runs one level of probes side by side: the heavy ones in forked processes, the rest here meanwhile.

Probes are Python work on file contents: threads of one process only take turns
at the interpreter lock, processes really run at once (a GPU node has many
cores). A probe marked ``own_process`` (python, frameworks, nvidia: tens of ms
each on an H100 node) gets a forked child, which starts with everything the
parent has (the host, the sections earlier levels filled, the imported modules),
runs that one probe and sends back what a thread would have left behind: the
section, the probe's run, its unknowns and the matrices it loaded. The light
probes of the level run in this process while the children work. A child past
its timeout is killed, and a child that dies (a segfault in a vendor library)
costs that probe only; both become unknowns with the reason.

Only for hosts that say their probes may fork (``Host.forks_probes``), on a
system with ``os.fork``, MIN_CPUS usable CPUs and no other thread running
(forking a process with threads can copy a lock some thread holds).
"""

from __future__ import annotations

import gc
import os
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Tuple

from accelctl.host.children import describe_status, kill_and_reap, reap, write_all
from accelctl.inventory.common import ProbeRun, Unknown
from accelctl.probes.base import Probe, ProbeContext


CGROUP_CPU_MAX = "/sys/fs/cgroup/cpu.max"  # cgroup v2: "<quota> <period>" in microseconds, or "max <period>"


def usable_cpus(cpu_max: str = CGROUP_CPU_MAX) -> int:
    """CPUs this process may run on: its affinity, capped by a cgroup v2 CPU quota (a pod's CPU limit)."""
    try:
        cpus = len(os.sched_getaffinity(0))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    try:
        with open(cpu_max, "rb") as f:
            quota, period = f.read().split()[:2]
        if quota != b"max":
            cpus = min(cpus, max(1, int(quota) // max(int(period), 1)))
    except (OSError, ValueError):
        pass
    return cpus


def can_fork() -> bool:
    """Whether forking is available and safe now: no other thread alive (one could hold a lock the child needs)."""
    return hasattr(os, "fork") and threading.active_count() == 1


# Below this many CPUs probes stay in one process: on a 2-CPU machine forking one probe a level gained 5% on
# the H100 node's captured files and lost 7% on a light machine's own; all three: +1% and +14% (bench/RESULTS.md,
# fourth session).
MIN_CPUS = 4


def to_fork(level: Sequence[Probe], cpus: int) -> List[Probe]:
    """The probes of ``level`` that get a process: those marked ``own_process``, at most one per spare CPU."""
    if cpus < MIN_CPUS:
        return []
    return [p for p in level if p.own_process][:cpus - 1]


class _Child:
    def __init__(self, probe: Probe, pid: int, fd: int, started: float) -> None:
        self.probe = probe
        self.pid = pid
        self.fd = fd
        self.deadline = started + probe.timeout
        self.chunks: List[bytes] = []
        self.timed_out = False
        self.ended = False  # read to its end and reaped (its pid may then belong to another process)
        self.status: Optional[int] = None


def run_level(level: Sequence[Probe], forked: Sequence[Probe], ctx: ProbeContext, run_one: Any,
              run_here: Callable[[Probe, ProbeContext], ProbeRun],
              idle: Sequence[Deque[Callable[[], None]]] = ()) -> List[ProbeRun]:
    """Run ``forked`` in child processes and the rest of ``level`` here meanwhile; fill ``ctx`` in level order.

    ``run_one(probe, ctx, slot)`` is the runner's own single-probe step, so a
    probe does exactly the same work in a child as in a thread; ``run_here``
    runs one probe in this process (in a thread, with its timeout). This
    process would then only wait: it takes steps from the ``idle`` queues (in
    order: imports the later probes and the caller need) while any child is
    still working, and leaves the rest in the queues.
    """
    children: Dict[str, _Child] = {}
    frozen = hasattr(gc, "freeze")
    if frozen:
        gc.freeze()  # the children's collector then leaves the parent's objects (and their pages) alone
    try:
        for probe in forked:
            try:
                children[probe.name] = _fork(probe, ctx, run_one)
            except OSError:  # no process to be had (a pids limit, no descriptors left): it runs here instead
                continue
    finally:
        if frozen:
            gc.unfreeze()
    here: Dict[str, Tuple[ProbeRun, List[Unknown]]] = {}
    for probe in level:
        if probe.name not in children:
            before = len(ctx.unknowns)
            run = run_here(probe, ctx)
            here[probe.name] = (run, ctx.unknowns[before:])  # its unknowns take their place in level order below
            del ctx.unknowns[before:]
    _use_idle_time(idle, list(children.values()))
    try:
        _wait(list(children.values()))
    except BaseException:  # Ctrl-C or a bug here: no child may go on working for nobody
        for child in children.values():
            if not child.ended:
                os.close(child.fd)
                kill_and_reap(child.pid)
        raise
    runs = []
    for probe in level:  # the level's order, as the sequential runner fills it
        if probe.name in children:
            runs.append(_collect(children[probe.name], ctx))
            continue
        run, unknowns = here[probe.name]
        ctx.unknowns.extend(unknowns)
        runs.append(run)
    return runs


def _use_idle_time(queues: Sequence[Deque[Callable[[], None]]], children: List[_Child]) -> None:
    """Take steps from ``queues`` in order while a child still works; a step that fails is only a lost head start
    (whoever needs that import does it again and meets the error where it can report it)."""
    for queue in queues:
        while queue and _busy(children):
            step = queue.popleft()
            try:
                step()
            except Exception:  # noqa: BLE001
                pass


def _busy(children: List[_Child]) -> bool:
    """Whether some child has not sent its result yet (its pipe has nothing to read and is still open)."""
    import select

    if not children:
        return False
    poller = select.poll()
    for child in children:
        poller.register(child.fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    return len(poller.poll(0)) < len(children)


def _fork(probe: Probe, ctx: ProbeContext, run_one: Any) -> _Child:
    read_fd, write_fd = os.pipe()
    _widen(write_fd)
    started = time.monotonic()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:  # the child: never returns into the caller's frames
        code = 0
        try:
            os.close(read_fd)
            _child_main(probe, ctx, run_one, write_fd)
        except BaseException:  # noqa: BLE001 - nothing may escape a forked child
            code = 70
        finally:
            os._exit(code)
    os.close(write_fd)
    return _Child(probe, pid, read_fd, started)


def _widen(fd: int) -> None:
    """Let the pipe hold a whole result (the python section is ~130 KB), so a finished child exits at once."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass  # the default 64 KB: the child then waits for the reader, which only costs time


def _child_main(probe: Probe, ctx: ProbeContext, run_one: Any, fd: int) -> None:
    import pickle

    before = len(ctx.unknowns)
    matrices = ctx.matrices
    had = set(matrices.loaded()) if matrices is not None else set()
    slot: Dict[str, Any] = {}
    run_one(probe, ctx, slot)
    payload: Dict[str, Any] = {"slot": slot, "unknowns": ctx.unknowns[before:]}
    if matrices is not None:
        payload["matrices"] = {k: v for k, v in matrices.loaded().items() if k not in had}
    try:
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 - a result that cannot travel is the probe's failure, said plainly
        note = f"its result could not be sent back from its process: {type(exc).__name__}: {exc}"
        data = pickle.dumps({"slot": {"run": ProbeRun(probe.name, "failed", slot["run"].duration_ms, note)},
                             "unknowns": payload["unknowns"] + [Unknown(probe.name, "*", f"probe failed: {note}")]})
    write_all(fd, data)
    os.close(fd)


def _wait(children: List[_Child]) -> None:
    """Read every child's result until it ends; kill those still running at their deadline.

    A deadline is only acted on when nothing is waiting to be read, so a child
    that finished while this process ran probes of its own is never taken for late.
    """
    import select

    pending = {c.fd: c for c in children}
    poller = select.poll()
    for fd in pending:
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    while pending:
        wait_ms = max(0, int(1000 * (min(c.deadline for c in pending.values()) - time.monotonic())) + 1)
        events = poller.poll(wait_ms)
        for fd, _ in events:
            child = pending.get(fd)
            if child is None:
                continue
            chunk = os.read(fd, 1 << 20)
            if chunk:
                child.chunks.append(chunk)
            else:
                _finish(child, poller, pending)
        if not events:
            now = time.monotonic()
            for child in [c for c in pending.values() if c.deadline <= now]:
                child.timed_out = True
                _finish(child, poller, pending)


def _finish(child: _Child, poller: Any, pending: Dict[int, _Child]) -> None:
    poller.unregister(child.fd)
    os.close(child.fd)
    del pending[child.fd]
    child.status = kill_and_reap(child.pid) if child.timed_out else reap(child.pid)
    child.ended = True


def _collect(child: _Child, ctx: ProbeContext) -> ProbeRun:
    probe = child.probe
    if child.timed_out:
        ctx.unknowns.append(Unknown(probe.name, "*", f"the probe did not finish within {probe.timeout:g} s"))
        return ProbeRun(probe.name, "timeout", probe.timeout * 1000.0, "timed out")
    payload = _payload(child)
    if payload is None:
        why = f"the probe's process ended without a result ({describe_status(child.status)})"
        ctx.unknowns.append(Unknown(probe.name, "*", f"probe failed: {why}"))
        return ProbeRun(probe.name, "failed", 0.0, why)
    slot = payload["slot"]
    ctx.unknowns.extend(payload["unknowns"])
    if ctx.matrices is not None and payload.get("matrices"):
        ctx.matrices.adopt(payload["matrices"])
    if "value" in slot:
        ctx.results[probe.section] = slot["value"]
    return slot["run"]


def _payload(child: _Child) -> Optional[Dict[str, Any]]:
    import pickle

    if not child.chunks:
        return None
    try:
        payload = pickle.loads(b"".join(child.chunks))
    except Exception:  # noqa: BLE001 - a child cut off mid-write
        return None
    return payload if isinstance(payload, dict) and "run" in payload.get("slot", {}) else None
