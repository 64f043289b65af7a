"""Runs levels of probes side by side: the heavy ones in forked processes (some early), the rest here meanwhile.

Probes are Python work on file contents: threads of one process only take turns
at the interpreter lock, processes really run at once (a GPU node has many
cores). A probe marked ``own_process`` (python, frameworks, nvidia: tens of ms
each on an H100 node; the light probes after python, where CPUs are spare,
keeping this process free) gets a forked child, which starts with everything the
parent has (the host, the sections earlier levels filled, the imported modules),
runs that one probe and sends back what a thread would have left behind: the
section, the probe's run, its unknowns and the matrices it loaded. The light
probes of the level run in this process while the children work. A child past
its timeout is killed, and a child that dies (a segfault in a vendor library)
costs that probe only; both become unknowns with the reason. A later heavy
probe fed only by this level's children forks with them (``Forks``).

Only for hosts that say their probes may fork (``Host.forks_probes``), on a
system with ``os.fork``, MIN_CPUS usable CPUs and no other thread running
(forking a process with threads can copy a lock some thread holds).
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

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


# How often an early child waiting for its inputs looks whether the doctor that forked it is still there.
_ORPHAN_CHECK_S = 1.0

# Below this many CPUs probes stay in one process: on a 2-CPU machine forking one probe a level gained 5% on
# the H100 node's captured files and lost 7% on a light machine's own; all three: +1% and +14% (bench/RESULTS.md,
# fourth session).
MIN_CPUS = 4


def to_fork(level: Sequence[Probe], cpus: int) -> list[Probe]:
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
        self.chunks: list[bytes] = []
        self.timed_out = False
        self.ended = False  # read to its end and reaped (its pid may then belong to another process)
        self.status: int | None = None
        self.fed: list[str] = []  # early children (by probe name) this one's result is sent to as well
        self.delivered = False  # its whole result was read here (so its consumers got the same bytes)


class _MatrixFeed:
    """A pipe to an early child, for the matrices its probe reads (``Probe.matrices``) that this process has
    not loaded yet; sent as one pickled {name: Matrix}, or nothing (the child then loads them itself)."""

    def __init__(self, names: tuple[str, ...], read_fd: int, write_fd: int, capacity: int) -> None:
        self.names = names
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.capacity = capacity  # what the pipe holds unread: more is never sent

    @classmethod
    def open(cls, probe: Probe, matrices: Any) -> _MatrixFeed | None:
        if matrices is None:
            return None
        names = tuple(m for m in probe.matrices if m not in matrices.loaded())
        if not names:
            return None
        try:
            read_fd, write_fd = os.pipe()
        except OSError:
            return None
        return cls(names, read_fd, write_fd, _widen(write_fd))


class Forks:
    """The forked children of one run, across its levels.

    A level's probes marked ``own_process`` fork when their level comes. A later
    one whose every input is a section one of them fills forks *early*, at the
    same time: it imports its modules and loads its matrices (``Probe.prepare``,
    tens of ms) while its inputs are still being made, then waits for them, which
    the producing children send it straight away, as they send their results
    here. At its own level it is only waited for. The answers are those of
    forking it at its level: its inputs are the very sections this process
    receives, and where a producer ends without a result this process can trust
    (killed at its timeout, crashed mid-write), the early child is killed and
    the probe forks again at its level.
    """

    def __init__(self, ctx: ProbeContext, run_one: Any, run_here: Callable[[Probe, ProbeContext], ProbeRun],
                 cpus: int) -> None:
        self.ctx = ctx
        self.run_one = run_one
        self.run_here = run_here
        self.cpus = cpus
        self.early: dict[str, _Child] = {}
        # early child -> its matrix feed, until this process has loaded and sent it the matrices it reads
        self.matrix_feeds: dict[str, _MatrixFeed] = {}

    def has_work(self, level: Sequence[Probe]) -> bool:
        """Whether ``level`` has a probe forked early, or one that may fork now."""
        return any(p.name in self.early for p in level) or bool(to_fork(level, self.cpus) and can_fork())

    def run_level(self, level: Sequence[Probe], later: Sequence[Sequence[Probe]],
                  steps: deque[Callable[[], object]] | None = None) -> list[ProbeRun]:
        """Run ``level``: its early children released, the rest of its own_process probes forked (and the
        later probes they feed forked early), the others here meanwhile; fill ``ctx`` in level order.

        Once its children are forked, this process sends the early ones the
        matrices they read (``_feed_matrices``) and runs the level's other
        probes. While children still work, it prepares the later probes that no
        early child prepares (their modules, their matrices), then takes the
        caller's ``steps`` (its next imports), each only while a child still
        works; what is left stays in ``steps``.
        """
        ctx = self.ctx
        children: dict[str, _Child] = {}
        now = time.monotonic()
        for probe in level:  # released: their inputs were sent when their producers ended
            child = self.early.pop(probe.name, None)
            if child is not None:
                child.deadline = now + probe.timeout
                children[probe.name] = child
        fresh = [p for p in to_fork(level, self.cpus) if p.name not in children][:self._room(len(children))] \
            if can_fork() else []
        if fresh:
            self._fork_level(fresh, level, later, children)
        try:
            for name in list(self.matrix_feeds):  # first of all: an early child needs them once its imports end
                self._feed_matrices(name)
            here = self._run_here(level, children)
            ahead = deque(partial(p.prepare, ctx.matrices) for p in _prefetch_order(later)
                          if (p.matrices or not p.prepared) and p.name not in self.early)
            _use_idle_time((ahead, steps if steps is not None else deque()), list(children.values()))
            _wait(list(children.values()))
        except BaseException:  # Ctrl-C or a bug here: no child may go on working for nobody
            for child in children.values():
                if not child.ended:
                    os.close(child.fd)
                    kill_and_reap(child.pid)
            self.close()
            raise
        runs = []
        for probe in level:  # the level's order, as the sequential runner fills it
            if probe.name in children:
                child = children[probe.name]
                run = _collect(child, ctx)
                if child.fed and not child.delivered:  # its consumers may have seen something else, or nothing
                    self._abandon(child.fed)
                runs.append(run)
                continue
            run, unknowns = here[probe.name]
            ctx.unknowns.extend(unknowns)
            runs.append(run)
        return runs

    def _run_here(self, level: Sequence[Probe],
                  children: dict[str, _Child]) -> dict[str, tuple[ProbeRun, list[Unknown]]]:
        """Run the level's probes that have no process, each with the unknowns it added (they take their place
        in level order when the level is collected)."""
        ctx = self.ctx
        here: dict[str, tuple[ProbeRun, list[Unknown]]] = {}
        for probe in level:
            if probe.name not in children:
                before = len(ctx.unknowns)
                run = self.run_here(probe, ctx)
                here[probe.name] = (run, ctx.unknowns[before:])
                del ctx.unknowns[before:]
        return here

    def close(self) -> None:
        """Kill the early children never released (the run ended before their level)."""
        self._abandon(list(self.early))

    def _room(self, running: int) -> int:
        """How many more probe children may start beside ``running`` and the early ones: one CPU each, one CPU
        left for this process."""
        return max(0, self.cpus - 1 - len(self.early) - running)

    def _fork_level(self, fresh: list[Probe], level: Sequence[Probe], later: Sequence[Sequence[Probe]],
                    children: dict[str, _Child]) -> None:
        ctx = self.ctx
        plan = _early_plan(fresh, level, later, self._room(len(children) + len(fresh)))
        feeds: dict[str, list[tuple[str, int]]] = {p.name: [] for p in fresh}  # producer -> (consumer, write end)
        inputs: dict[str, list[tuple[str, int]]] = {}  # consumer -> (section, read end)
        try:
            for consumer, producers in plan:
                for section, producer in producers:
                    read_fd, write_fd = os.pipe()
                    _widen(write_fd)
                    feeds[producer.name].append((consumer.name, write_fd))
                    inputs.setdefault(consumer.name, []).append((section, read_fd))
        except OSError:  # no descriptors left: nothing forks early (each probe forks at its level)
            for fd in [fd for pairs in feeds.values() for _, fd in pairs] + [fd for i in inputs.values() for _, fd in i]:
                os.close(fd)
            plan, inputs = [], {}
            feeds = {p.name: [] for p in fresh}
        frozen = hasattr(gc, "freeze")
        if frozen:
            gc.freeze()  # the children's collector then leaves the parent's objects (and their pages) alone
        try:
            for probe in fresh:
                try:
                    child = _fork(probe, ctx, self.run_one, feeds=[fd for _, fd in feeds[probe.name]])
                except OSError:  # no process to be had (a pids limit, no descriptors left): it runs here instead
                    continue
                child.fed = [name for name, _ in feeds[probe.name]]
                children[probe.name] = child
            for fd in (fd for pairs in feeds.values() for _, fd in pairs):
                os.close(fd)  # only the producers hold the write ends now: their end is the consumers' end of input
            for consumer, producers in plan:
                fds = inputs[consumer.name]
                if all(p.name in children for _, p in producers):
                    self._fork_early(consumer, fds)
                for _, fd in fds:
                    os.close(fd)
        finally:
            if frozen:
                gc.unfreeze()
        for child in children.values():  # a producer whose consumer could not fork feeds nobody
            child.fed = [name for name in child.fed if name in self.early]

    def _fork_early(self, consumer: Probe, inputs: list[tuple[str, int]]) -> None:
        """Fork ``consumer`` early, with a matrix feed when it reads matrices this process has not loaded."""
        feed = _MatrixFeed.open(consumer, self.ctx.matrices)
        # its own feed's write end and any other early child's stay with this process (a child holding one
        # would keep that feed from ever ending)
        others = [f.write_fd for f in self.matrix_feeds.values()] + ([feed.write_fd] if feed else [])
        try:
            self.early[consumer.name] = _fork(consumer, self.ctx, self.run_one, inputs=inputs,
                                              matrices_fd=feed.read_fd if feed else None, close_in_child=others)
        except OSError:
            if feed is not None:
                os.close(feed.write_fd)
            return
        finally:
            if feed is not None:
                os.close(feed.read_fd)
        if feed is not None:
            self.matrix_feeds[consumer.name] = feed

    def _feed_matrices(self, name: str) -> None:
        """Load the matrices an early child reads and send them to it, at once: the load here overlaps the
        child's imports (it reads them when those end), and this process needs them for the rules anyway."""
        feed = self.matrix_feeds.pop(name, None)
        if feed is None:
            return
        import pickle

        try:
            matrices = self.ctx.matrices
            for matrix in feed.names:
                matrices.entries_or_empty(matrix)  # a broken one is left to the probe, which reports it
            loaded = matrices.loaded()
            data = pickle.dumps({m: loaded[m] for m in feed.names if m in loaded}, protocol=pickle.HIGHEST_PROTOCOL)
            if len(data) <= feed.capacity:  # never blocks, whenever the child reads
                write_all(feed.write_fd, data)
        except Exception:  # noqa: BLE001 - the child gone (its reader hears of it), a matrix that will not pickle:
            pass  # the feed ends unsent and the child loads what did not come
        finally:
            os.close(feed.write_fd)

    def _end_feed(self, name: str) -> None:
        """Close a feed unsent: the child loads the matrices itself."""
        feed = self.matrix_feeds.pop(name, None)
        if feed is not None:
            os.close(feed.write_fd)

    def _abandon(self, names: Sequence[str]) -> None:
        """Kill these early children: they fork again, from this process's own sections, when their level comes."""
        for name in names:
            self._end_feed(name)
            child = self.early.pop(name, None)
            if child is not None:
                os.close(child.fd)
                kill_and_reap(child.pid)


def _prefetch_order(levels: Sequence[Sequence[Probe]]) -> list[Probe]:
    """Later probes to prepare ahead: level by level, those that will fork first in each (a forked child
    that finds its modules imported and its matrices loaded starts its work at once)."""
    return [p for level in levels for p in sorted(level, key=lambda p: not p.own_process)]


def _early_plan(fresh: Sequence[Probe], level: Sequence[Probe], later: Sequence[Sequence[Probe]],
                room: int) -> list[tuple[Probe, list[tuple[str, Probe]]]]:
    """The later own_process probes that may fork now: each section they require is filled by exactly one of
    the probes forking now, and by no probe after it before their level. Each with its (section, producer)s."""
    producers = {p.section: p for p in fresh}
    written_here = [p.section for p in level]
    plan: list[tuple[Probe, list[tuple[str, Probe]]]] = []
    for i, next_level in enumerate(later):
        written_between = [p.section for lvl in later[:i] for p in lvl]
        for probe in next_level:
            if len(plan) >= room or not probe.own_process or not probe.requires:
                continue
            if all(s in producers and written_here.count(s) == 1 and s not in written_between for s in probe.requires):
                plan.append((probe, [(s, producers[s]) for s in dict.fromkeys(probe.requires)]))
    return plan


def _use_idle_time(queues: Sequence[deque[Callable[[], Any]]], children: list[_Child]) -> None:
    """Take steps from ``queues`` in order while a child still works; a step that fails is only a lost head start
    (whoever needs that import does it again and meets the error where it can report it). A step that returns
    an iterator comes in parts: each next part is a step of its own, taken first."""
    for queue in queues:
        while queue and _busy(children):
            step = queue.popleft()
            try:
                more = step()
            except Exception:  # noqa: BLE001 - StopIteration included: a stepwise step is done
                continue
            if isinstance(more, Iterator):
                queue.appendleft(partial(_next_part, more))


def _next_part(parts: Iterator[Any]) -> Iterator[Any]:
    next(parts)
    return parts


def _busy(children: list[_Child]) -> bool:
    """Whether some child has not sent its result yet (its pipe has nothing to read and is still open)."""
    import select

    if not children:
        return False
    poller = select.poll()
    for child in children:
        poller.register(child.fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    return len(poller.poll(0)) < len(children)


def _fork(probe: Probe, ctx: ProbeContext, run_one: Any, feeds: Sequence[int] = (),
          inputs: Sequence[tuple[str, int]] = (), matrices_fd: int | None = None,
          close_in_child: Sequence[int] = ()) -> _Child:
    """Fork a child that runs ``probe`` and sends its result back, and to ``feeds`` (early consumers' inputs).
    With ``inputs`` it first prepares the probe (with the matrices sent on ``matrices_fd``, if any), then reads
    each (section, pipe) from its producer. ``close_in_child``: descriptors the child must not keep."""
    read_fd, write_fd = os.pipe()
    _widen(write_fd)
    started = time.monotonic()
    doctor = os.getpid()  # taken here: were this process gone before the child asked, it would see its new parent
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
            for fd in close_in_child:
                os.close(fd)
            _child_main(probe, ctx, run_one, write_fd, feeds, inputs, matrices_fd, doctor)
        except BaseException:  # noqa: BLE001 - nothing may escape a forked child
            code = 70
        finally:
            os._exit(code)
    os.close(write_fd)
    return _Child(probe, pid, read_fd, started)


def _widen(fd: int) -> int:
    """Let the pipe hold a whole result (the python section is ~130 KB), so a finished child exits at once.
    Returns what the pipe holds now."""
    try:
        import fcntl

        return fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        return 1 << 16  # the default 64 KB: a child then waits for the reader, which only costs time


def _child_main(probe: Probe, ctx: ProbeContext, run_one: Any, fd: int, feeds: Sequence[int] = (),
                inputs: Sequence[tuple[str, int]] = (), matrices_fd: int | None = None,
                doctor: int | None = None) -> None:
    import pickle

    before = len(ctx.unknowns)
    matrices = ctx.matrices
    had = set(matrices.loaded()) if matrices is not None else set()
    if inputs:
        had |= _await_inputs(probe, ctx, inputs, matrices_fd, doctor)
    slot: dict[str, Any] = {}
    run_one(probe, ctx, slot)
    payload: dict[str, Any] = {"slot": slot, "unknowns": ctx.unknowns[before:]}
    if matrices is not None:
        payload["matrices"] = {k: v for k, v in matrices.loaded().items() if k not in had}
    try:
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 - a result that cannot travel is the probe's failure, said plainly
        note = f"its result could not be sent back from its process: {type(exc).__name__}: {exc}"
        data = pickle.dumps({"slot": {"run": ProbeRun(probe.name, "failed", slot["run"].duration_ms, note)},
                             "unknowns": payload["unknowns"] + [Unknown(probe.name, "*", f"probe failed: {note}")]})
    for feed in feeds:  # the consumers first: once the parent has the result, so do they
        try:
            write_all(feed, data)
        except OSError:  # a consumer that died: the parent learns of it from that consumer
            pass
        os.close(feed)
    write_all(fd, data)
    os.close(fd)


def _await_inputs(probe: Probe, ctx: ProbeContext, inputs: Sequence[tuple[str, int]],
                  matrices_fd: int | None = None, doctor: int | None = None) -> set[str]:
    """An early child: prepare the probe while its producers work, then take the sections they send.

    Its modules are imported first; the matrices it reads come from the doctor on ``matrices_fd`` meanwhile
    (those that do not come, it loads itself). Returns the names of the matrices the doctor sent.

    Waiting is bounded by the doctor: it kills a producer at its timeout (the input then ends) and this child
    with it; were the doctor (pid ``doctor``) itself killed, this child notices its parent is gone and ends.
    """
    parent = doctor if doctor is not None else os.getppid()
    sent: set[str] = set()
    _prepare_quietly(probe, None)  # its imports first: the doctor loads the matrices meanwhile
    if matrices_fd is not None:
        sent = _receive_matrices(ctx, _read_to_end(matrices_fd, parent))
    _prepare_quietly(probe, ctx.matrices)  # what is left: the matrices that did not come
    for section, fd in inputs:
        payload = _loads(_read_to_end(fd, parent))
        slot = payload["slot"] if payload is not None else {}
        if "value" in slot:
            ctx.results[section] = slot["value"]
        else:  # the producer failed: the section stays as it was before it, as in the parent
            ctx.results.pop(section, None)
    return sent


def _prepare_quietly(probe: Probe, matrices: Any) -> None:
    """``Probe.prepare``; an error is left for the probe to meet when it runs, and report."""
    try:
        probe.prepare(matrices)
    except Exception:  # noqa: BLE001
        pass


def _read_to_end(fd: int, parent: int) -> list[bytes]:
    """Everything the pipe brings until its writer closes it (then it is closed here too); the process ends
    if the doctor that forked it is gone meanwhile."""
    import select

    chunks = []
    while True:
        if not select.select([fd], [], [], _ORPHAN_CHECK_S)[0]:
            if os.getppid() != parent:
                raise SystemExit("the doctor is gone")
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return chunks


def _receive_matrices(ctx: ProbeContext, chunks: list[bytes]) -> set[str]:
    """Take the matrices the doctor sent (none when it sent nothing or was cut off); their names."""
    import pickle

    try:
        loaded = pickle.loads(b"".join(chunks)) if chunks else {}
    except Exception:  # noqa: BLE001 - cut off mid-write: the probe loads them itself
        return set()
    if not isinstance(loaded, dict) or ctx.matrices is None:
        return set()
    ctx.matrices.adopt(loaded)
    return set(loaded)


def _wait(children: list[_Child]) -> None:
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


def _finish(child: _Child, poller: Any, pending: dict[int, _Child]) -> None:
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
    payload = _loads(child.chunks)
    child.delivered = payload is not None
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


def _loads(chunks: list[bytes]) -> dict[str, Any] | None:
    import pickle

    if not chunks:
        return None
    try:
        payload = pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - a child cut off mid-write
        return None
    return payload if isinstance(payload, dict) and "run" in payload.get("slot", {}) else None
