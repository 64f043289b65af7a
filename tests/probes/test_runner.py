"""The probe runner: the same answers in threads and in forked processes, and no probe can hang or kill a run."""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from accelctl import serde
from accelctl.host.fixture import FixtureHost
from accelctl.matrices import MatrixSet
from accelctl.probes import all_probes, forked
from accelctl.probes.base import Probe, ProbeContext, ProbeOptions
from accelctl.probes.runner import run_probes

NODE = Path(__file__).resolve().parents[1] / "fixtures" / "hosts" / "h100-node-capture"
needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="forked probes need os.fork")


@pytest.fixture
def many_cpus(monkeypatch):
    """Fork as a GPU node would, whatever this machine has."""
    monkeypatch.setattr(forked, "usable_cpus", lambda: 16)


@pytest.fixture
def forks(monkeypatch):
    """Every child forked during the test: probe name -> [(pid, forked early?)]."""
    seen = {}
    real_fork = forked._fork

    def remember(probe, ctx, run_one, **kwargs):
        child = real_fork(probe, ctx, run_one, **kwargs)
        seen.setdefault(probe.name, []).append((child.pid, bool(kwargs.get("inputs"))))
        return child

    monkeypatch.setattr(forked, "_fork", remember)
    return seen


def _ended(pid) -> bool:
    """Gone, or a zombie nobody has reaped yet (an orphan's new parent may be slow to, or never reap)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _reaped(pid) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _ctx(host=None) -> ProbeContext:
    return ProbeContext(host or FixtureHost(str(NODE)), ProbeOptions(), matrices=MatrixSet())


def _run(probes, processes, host=None):
    ctx = _ctx(host)
    start = time.monotonic()
    results, runs = run_probes(probes, ctx, processes=processes)
    return ctx, results, {r.name: r for r in runs}, [r.name for r in runs], time.monotonic() - start


def _probe(name, fn, section=None, own_process=True, timeout=10.0, requires=()):
    return Probe(name=name, section=section or name, run=fn, own_process=own_process, timeout=timeout,
                 requires=requires)


@needs_fork
def test_forked_probes_give_the_threaded_answer_on_the_node_capture(many_cpus):
    t_ctx, t_results, t_runs, t_order, _ = _run(all_probes(), processes=False)
    f_ctx, f_results, f_runs, f_order, _ = _run(all_probes(), processes=True)
    assert serde.to_data(f_results) == serde.to_data(t_results)
    assert f_ctx.unknowns == t_ctx.unknowns  # the same unknowns in the same order
    assert f_order == t_order
    assert {n: r.status for n, r in f_runs.items()} == {n: r.status for n, r in t_runs.items()}
    assert f_runs["nvidia"].status == "partial" and f_results["nvidia"].gpus  # real work came back
    # the matrices the frameworks probe loaded in its process are the rules' too, not loaded again
    assert {"pytorch", "jax"} <= set(f_ctx.matrices.loaded())


@needs_fork
def test_only_probes_marked_own_process_leave_this_process(many_cpus):
    probes = [_probe("heavy", lambda ctx: os.getpid()), _probe("light", lambda ctx: os.getpid(), own_process=False)]
    _, results, runs, order, _ = _run(probes, processes=True)
    assert results["heavy"] != os.getpid()
    assert results["light"] == os.getpid()
    assert order == ["heavy", "light"] and runs["heavy"].status == runs["light"].status == "ok"


@needs_fork
def test_unknowns_keep_the_level_order_whoever_ran_first(many_cpus):
    def slow_heavy(ctx):
        time.sleep(0.05)
        ctx.unknown("a", "from the forked probe")
        return 1

    def light(ctx):
        ctx.unknown("b", "from this process")
        return 2

    probes = [_probe("heavy", slow_heavy), _probe("light", light, own_process=False)]
    ctx, results, _, _, _ = _run(probes, processes=True)
    assert [(u.probe, u.fact) for u in ctx.unknowns] == [("heavy", "a"), ("light", "b")]
    assert results == {"heavy": 1, "light": 2}


@needs_fork
def test_a_wedged_forked_probe_is_killed_at_its_timeout(many_cpus):
    def wedged(ctx):
        time.sleep(30)

    probes = [_probe("wedged", wedged, timeout=0.3), _probe("fine", lambda ctx: "ok")]
    ctx, results, runs, _, elapsed = _run(probes, processes=True)
    assert runs["wedged"].status == "timeout"
    assert runs["fine"].status == "ok" and results["fine"] == "ok"
    assert "wedged" not in results
    assert [(u.probe, u.reason) for u in ctx.unknowns] == [("wedged", "the probe did not finish within 0.3 s")]
    assert elapsed < 5


@needs_fork
def test_a_finished_child_is_not_late_while_this_process_runs_a_slow_probe(many_cpus):
    def slow_here(ctx):
        time.sleep(0.6)
        return "slow"

    probes = [_probe("quick", lambda ctx: "quick", timeout=0.2), _probe("slow", slow_here, own_process=False)]
    _, results, runs, _, _ = _run(probes, processes=True)
    assert runs["quick"].status == "ok" and results == {"quick": "quick", "slow": "slow"}


@needs_fork
@pytest.mark.parametrize("how, words", [
    (lambda: (faulthandler.disable(), os.kill(os.getpid(), signal.SIGSEGV)), "killed by SIGSEGV"),  # pytest's dump off
    (lambda: os._exit(3), "exit code 3"),
])
def test_a_probe_that_kills_its_process_costs_only_that_probe(many_cpus, how, words):
    probes = [_probe("doomed", lambda ctx: how()), _probe("fine", lambda ctx: 7)]
    ctx, results, runs, _, _ = _run(probes, processes=True)
    assert runs["doomed"].status == "failed" and words in (runs["doomed"].error or "")
    assert results == {"fine": 7}
    assert ctx.unknowns[0].probe == "doomed" and words in ctx.unknowns[0].reason


@needs_fork
def test_a_probe_exception_reads_the_same_in_a_process_as_in_a_thread(many_cpus):
    def broken(ctx):
        raise ValueError("garbage version 'x.y'")

    probes = [_probe("broken", broken), _probe("fine", lambda ctx: 1)]
    f_ctx, _, f_runs, _, _ = _run(probes, processes=True)
    t_ctx, _, t_runs, _, _ = _run(probes, processes=False)
    assert f_runs["broken"].status == t_runs["broken"].status == "failed"
    assert f_runs["broken"].error == t_runs["broken"].error == "ValueError: garbage version 'x.y'"
    assert f_ctx.unknowns == t_ctx.unknowns


@needs_fork
def test_a_result_that_cannot_travel_is_a_failure_with_its_reason(many_cpus):
    def odd(ctx):
        ctx.unknown("odd.fact", "what the probe itself could not learn")
        return threading.Lock()

    probes = [_probe("odd", odd), _probe("fine", lambda ctx: 1)]
    ctx, results, runs, _, _ = _run(probes, processes=True)
    assert runs["odd"].status == "failed" and "could not be sent back" in runs["odd"].error
    assert "odd" not in results and results["fine"] == 1
    assert ctx.unknowns[0].fact == "odd.fact"  # the probe's own unknowns still come back
    assert "could not be sent back" in ctx.unknowns[1].reason


@needs_fork
def test_a_large_section_comes_back_whole(many_cpus):
    big = ["x" * 100 for _ in range(40_000)]  # ~4 MB: many pipe buffers
    probes = [_probe("big", lambda ctx: big), _probe("small", lambda ctx: 1)]
    _, results, runs, _, _ = _run(probes, processes=True)
    assert results["big"] == big and runs["big"].status == "ok"


@needs_fork
def test_later_levels_see_sections_that_forked_probes_filled(many_cpus):
    probes = [_probe("first", lambda ctx: [1, 2]), _probe("other", lambda ctx: 0),
              _probe("second", lambda ctx: ctx.results["first"] + [3], requires=("first",)),
              _probe("third", lambda ctx: len(ctx.results["first"]), requires=("first",))]
    _, results, _, order, _ = _run(probes, processes=True)
    assert results["second"] == [1, 2, 3] and results["third"] == 2
    assert order == ["first", "other", "second", "third"]


def test_probes_stay_in_this_process_on_small_machines_or_with_a_thread_alive(monkeypatch):
    level = [_probe("a", lambda ctx: 0), _probe("b", lambda ctx: 0, own_process=False), _probe("c", lambda ctx: 0)]
    assert forked.to_fork(level, forked.MIN_CPUS - 1) == []
    assert [p.name for p in forked.to_fork(level, 16)] == ["a", "c"]
    assert [p.name for p in forked.to_fork(level, forked.MIN_CPUS)] == ["a", "c"][:forked.MIN_CPUS - 1]
    monkeypatch.setattr(forked, "usable_cpus", lambda: 16)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not forked.can_fork()
        _, results, _, _, _ = _run([_probe("x", lambda ctx: os.getpid()), _probe("y", lambda ctx: 0)], processes=True)
        assert results["x"] == os.getpid()
    finally:
        stop.set()
        other.join()


def test_a_wedged_probe_in_a_thread_is_left_behind_at_its_timeout():
    release = threading.Event()
    probes = [_probe("wedged", lambda ctx: release.wait(30), timeout=0.2), _probe("fine", lambda ctx: 5)]
    try:
        ctx, results, runs, _, elapsed = _run(probes, processes=False)
    finally:
        release.set()
    assert runs["wedged"].status == "timeout" and results == {"fine": 5}
    assert ctx.unknowns[0].probe == "wedged" and "did not finish within" in ctx.unknowns[0].reason
    assert elapsed < 5


@needs_fork
def test_a_probe_that_cannot_have_a_process_runs_here(many_cpus, monkeypatch):
    def no_processes():
        raise BlockingIOError(11, "Resource temporarily unavailable")  # what a full pids cgroup answers

    monkeypatch.setattr(forked.os, "fork", no_processes)
    probes = [_probe("heavy", lambda ctx: os.getpid()), _probe("light", lambda ctx: 1, own_process=False)]
    ctx, results, runs, order, _ = _run(probes, processes=True)
    assert results == {"heavy": os.getpid(), "light": 1} and order == ["heavy", "light"]
    assert runs["heavy"].status == "ok" and not ctx.unknowns


@needs_fork
@pytest.mark.parametrize("early", [False, True])
def test_an_interrupted_run_leaves_no_child_working(many_cpus, monkeypatch, forks, early):
    """Ctrl-C while a level waits: its children are killed and reaped, and so are the early children of later
    levels that never came."""
    def interrupted(children):
        raise KeyboardInterrupt

    monkeypatch.setattr(forked, "_wait", interrupted)
    probes = [_probe("long", lambda ctx: time.sleep(30)), _probe("x", lambda ctx: 0)]
    if early:
        probes.append(_lazy_probe(monkeypatch, own_process=True, requires=("long",)))
    with pytest.raises(KeyboardInterrupt):
        _run(probes, processes=True)
    assert ("later" in forks and forks["later"][0][1]) is early  # it had forked early
    assert all(_reaped(pid) for runs in forks.values() for pid, _ in runs)  # killed and reaped


@pytest.mark.parametrize("text, cap", [("200000 100000\n", 2), ("150000 100000\n", 1), ("50000 100000\n", 1),
                                       ("max 100000\n", None), ("garbage\n", None)])
def test_a_pods_cpu_limit_caps_the_cpus_probes_may_use(tmp_path, text, cap):
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text(text)
    unlimited = forked.usable_cpus(str(tmp_path / "absent"))
    assert forked.usable_cpus(str(cpu_max)) == (min(unlimited, cap) if cap else unlimited)


def _sleepy(seconds):
    def run(ctx):
        time.sleep(seconds)
        return seconds

    return run


@needs_fork
def test_meanwhile_steps_run_here_in_order_once_while_forked_probes_work(many_cpus):
    calls = []
    probes = [_probe("first", _sleepy(0.3)), _probe("second", _sleepy(0.3), requires=("first",))]
    steps = [lambda i=i: calls.append((i, os.getpid())) for i in range(3)]
    results, _ = run_probes(probes, _ctx(), processes=True, meanwhile=steps)
    assert calls == [(0, os.getpid()), (1, os.getpid()), (2, os.getpid())]  # in this process, once each
    assert results == {"first": 0.3, "second": 0.3}


def test_meanwhile_is_not_called_when_nothing_forks():
    calls = []
    run_probes([_probe("only", lambda ctx: 1)], _ctx(), processes=False, meanwhile=[lambda: calls.append(1)])
    assert calls == []


def _child_ends(pipe_open):
    """A stand-in for a forked child: its pipe stays open (still working) or is closed (result sent)."""
    read_fd, write_fd = os.pipe()
    if not pipe_open:
        os.close(write_fd)
        write_fd = None
    return forked._Child(_probe("c", lambda ctx: 0), 0, read_fd, time.monotonic()), write_fd


def test_idle_steps_are_taken_only_while_a_child_still_works():
    from collections import deque

    working, write_fd = _child_ends(pipe_open=True)
    done, _ = _child_ends(pipe_open=False)
    calls = []
    ahead, steps = deque([lambda: calls.append("import a probe")]), deque([lambda: calls.append("import rules")])
    forked._use_idle_time((ahead, steps), [done])  # every child has finished: waiting is over, nothing is taken
    assert calls == [] and len(ahead) == len(steps) == 1
    forked._use_idle_time((ahead, steps), [done, working])
    assert calls == ["import a probe", "import rules"] and not ahead and not steps  # in queue order
    for fd in (working.fd, done.fd, write_fd):
        os.close(fd)


def test_a_step_that_ends_the_wait_leaves_the_rest_queued():
    from collections import deque

    working, write_fd = _child_ends(pipe_open=True)
    calls = []

    def last_moment():  # the child sends its result while this step runs
        calls.append("first")
        os.close(write_fd)

    steps = deque([last_moment, lambda: calls.append("second")])
    forked._use_idle_time((steps,), [working])
    assert calls == ["first"] and len(steps) == 1  # left for the next level's idle time, or for its caller
    os.close(working.fd)


def test_a_step_in_parts_stops_between_parts_when_the_wait_ends():
    """The rehearsal's case: a step returning an iterator is taken part by part, its next part before any other
    step, and no part starts once every child has sent its result."""
    from collections import deque

    working, write_fd = _child_ends(pipe_open=True)
    calls = []

    def in_parts():
        calls.append("part 1")
        yield
        calls.append("part 2")
        os.close(write_fd)  # the child sends its result during part 2
        yield
        calls.append("part 3")

    steps = deque([in_parts, lambda: calls.append("after")])
    forked._use_idle_time((steps,), [working])
    assert calls == ["part 1", "part 2"] and len(steps) == 2  # its next part first, then the other step
    os.close(working.fd)


def test_a_step_in_parts_runs_to_its_end_then_the_next_step():
    from collections import deque

    working, write_fd = _child_ends(pipe_open=True)
    calls = []

    def in_parts():
        for i in range(3):
            calls.append(i)
            yield

    steps = deque([in_parts, lambda: calls.append("after")])
    forked._use_idle_time((steps,), [working])
    assert calls == [0, 1, 2, "after"] and not steps
    for fd in (working.fd, write_fd):
        os.close(fd)


def test_the_diagnosis_in_parts_is_the_diagnosis():
    """One part per rule (plus the last), and the report it returns is diagnose's."""
    from accelctl import doctor
    from accelctl.report.json_out import render
    from accelctl.rules import all_rules

    inventory = doctor.gather(doctor.Source(fixture=str(NODE)))
    diagnosis = doctor.Diagnosis()
    parts = doctor.diagnosis_in_parts(inventory, diagnosis)
    count = 0
    while True:
        try:
            next(parts)
            count += 1
        except StopIteration as done:
            report = done.value
            break
    assert count == len([r for r in all_rules() if not r.removed]) + 1
    assert render(report) == render(doctor.diagnose(inventory, diagnosis))


@needs_fork
def test_a_failing_meanwhile_changes_nothing(many_cpus):
    def broken():
        raise ImportError("no rich here")

    ctx = _ctx()
    results, runs = run_probes([_probe("a", _sleepy(0.2)), _probe("b", lambda ctx: 2, own_process=False)], ctx,
                               processes=True, meanwhile=[broken])
    assert results == {"a": 0.2, "b": 2} and [r.status for r in runs] == ["ok", "ok"]


def _lazy_probe(monkeypatch, **kwargs):
    """A probe whose module (tests/probes/lazy/imported_where.py) is not imported yet."""
    from accelctl.probes.base import LazyRun

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent / "lazy"))
    monkeypatch.delitem(sys.modules, "imported_where", raising=False)
    kwargs.setdefault("requires", ("first",))
    return Probe(name="later", section="later", run=LazyRun("imported_where"), **kwargs)


def _first(seconds=0.3):
    def run(ctx):
        time.sleep(seconds)
        return {"ended_at": time.monotonic()}

    return _probe("first", run)


@needs_fork
def test_a_later_forked_probe_prepares_in_its_own_process_while_its_input_is_made(many_cpus, monkeypatch):
    """The frameworks probe's case: it imports its modules and loads its matrices while the python probe runs."""
    later = _lazy_probe(monkeypatch, own_process=True, matrices=("jax",))
    ctx = _ctx()
    results, runs = run_probes([_first(), later], ctx, processes=True)
    assert [r.status for r in runs] == ["ok", "ok"]
    got = results["later"]
    assert got["imported_in"] == got["ran_in"] != os.getpid()  # prepared in its own process ...
    assert got["imported_at"] < results["first"]["ended_at"]  # ... before its input was ready
    assert got["first"] == results["first"]  # and given exactly the section this process received
    assert "jax" in ctx.matrices.loaded()  # the matrix it loaded there is this run's too
    assert "imported_where" not in sys.modules  # this process never needed the module


@needs_fork
def test_a_later_probe_that_runs_here_is_prepared_here_while_a_forked_probe_works(many_cpus, monkeypatch):
    later = _lazy_probe(monkeypatch, own_process=False, matrices=("jax",))
    ctx = _ctx()
    results, _runs = run_probes([_first(), later], ctx, processes=True)
    got = results["later"]
    assert got["imported_in"] == got["ran_in"] == os.getpid()
    assert got["imported_at"] < results["first"]["ended_at"]  # imported in the idle time of the first level
    assert "jax" in ctx.matrices.loaded() and later.prepared


@needs_fork
@pytest.mark.parametrize("first, status", [
    (_probe("first", lambda ctx: time.sleep(30), timeout=0.3), "timeout"),
    (_probe("first", lambda ctx: os._exit(3)), "failed"),
])
def test_an_input_that_never_came_whole_forks_the_later_probe_again(many_cpus, monkeypatch, forks, first, status):
    """The producer was killed at its timeout or died: the early child is killed, and the probe forks at its
    level from this process's sections, as without early forks."""
    later = _lazy_probe(monkeypatch, own_process=True)
    results, runs = run_probes([first, later], _ctx(), processes=True)
    assert [r.status for r in runs] == [status, "ok"]
    assert results["later"]["first"] is None and "first" not in results
    assert [early for _, early in forks["later"]] == [True, False]  # forked early, killed, forked again
    assert all(_reaped(pid) for pid, _ in forks["later"] + forks["first"])


@needs_fork
def test_a_producer_that_fails_cleanly_feeds_its_early_consumer_the_same_nothing(many_cpus, monkeypatch):
    def broken(ctx):
        raise ValueError("no interpreter")

    later = _lazy_probe(monkeypatch, own_process=True)
    t_results, t_runs = run_probes([_probe("first", broken), later], _ctx(), processes=False)
    monkeypatch.delitem(sys.modules, "imported_where", raising=False)
    later = _lazy_probe(monkeypatch, own_process=True)
    f_results, f_runs = run_probes([_probe("first", broken), later], _ctx(), processes=True)
    assert [r.status for r in f_runs] == [r.status for r in t_runs] == ["failed", "ok"]
    assert f_results["later"]["first"] is t_results["later"]["first"] is None
    assert f_results["later"]["ran_in"] != os.getpid()  # it still ran in its early process


def test_only_inputs_made_by_one_forked_probe_and_not_rewritten_allow_an_early_fork():
    a, b = _probe("a", lambda ctx: 0), _probe("b", lambda ctx: 0, own_process=False)
    fed_by_a = _probe("c", lambda ctx: 0, requires=("a",))
    needs_b = _probe("d", lambda ctx: 0, requires=("a", "b"))
    light = _probe("e", lambda ctx: 0, requires=("a",), own_process=False)
    rewrites_a = _probe("f", lambda ctx: 0, section="a", own_process=False, requires=("a",))
    after_rewrite = _probe("g", lambda ctx: 0, requires=("a",))
    plan = forked._early_plan([a], [a, b], [[fed_by_a, needs_b, light, rewrites_a], [after_rewrite]], room=8)
    assert [(p.name, [(s, q.name) for s, q in inputs]) for p, inputs in plan] == [("c", [("a", "a")])]
    assert forked._early_plan([a], [a, b], [[fed_by_a]], room=0) == []


def test_the_frameworks_probe_declares_the_matrices_it_reads():
    """What prepare loads ahead is what the probe would load itself (here: torch and jax are installed)."""
    from accelctl.probes import probe_named

    ctx = _ctx()
    run_probes([probe_named("python"), probe_named("frameworks")], ctx, processes=False)
    assert set(ctx.matrices.loaded()) == set(probe_named("frameworks").matrices) == {"pytorch", "jax"}


def test_prepare_leaves_a_broken_matrix_to_the_probe(tmp_path):
    from accelctl.probes.base import LazyRun

    (tmp_path / "jax.yaml").write_text("not: [a matrix")
    matrices = MatrixSet(overlays=[tmp_path])
    Probe(name="p", section="p", run=LazyRun("accelctl.probes.environment"), matrices=("jax",)).prepare(matrices)
    assert "jax" not in matrices.loaded()


def test_a_lazy_probe_imports_its_module_when_it_first_runs(monkeypatch):
    from accelctl.probes.base import LazyRun

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent / "lazy"))
    monkeypatch.delitem(sys.modules, "imported_where", raising=False)
    probe = Probe(name="p", section="p", run=LazyRun("imported_where"))
    assert "imported_where" not in sys.modules
    results, runs = run_probes([probe], _ctx(), processes=False)
    assert results["p"]["imported_in"] == os.getpid() and runs[0].status == "ok" and probe.prepared


def test_a_lazy_probe_whose_module_is_missing_fails_alone():
    from accelctl.probes.base import LazyRun

    probe = Probe(name="p", section="p", run=LazyRun("accelctl.probes.no_such_module"))
    ctx = _ctx()
    results, runs = run_probes([probe, _probe("q", lambda ctx: 1, own_process=False)], ctx, processes=False)
    assert results == {"q": 1} and [r.status for r in runs] == ["failed", "ok"]
    assert "No module named" in runs[0].error and ctx.unknowns[0].probe == "p"


@needs_fork
def test_collect_rehearses_the_callers_work_once_on_what_is_found_so_far(many_cpus, tmp_path):
    """The doctor's diagnosis, tried in idle time on a provisional inventory; the real inventory is untouched."""
    from accelctl.host.filesystem import FileSystemHost
    from accelctl.probes.collect import collect

    class ForkingHost(FileSystemHost):
        forks_probes = True

    def slow_env(ctx):
        time.sleep(0.3)
        return {"CUDA_VISIBLE_DEVICES": "0"}

    probes = [_probe("environment", slow_env, section="env"),
              _probe("other_accelerators", lambda ctx: [], requires=("env",))]
    seen = []
    inventory = collect(ForkingHost(str(tmp_path)), ProbeOptions(), probes=probes, matrices=MatrixSet(),
                        rehearse=seen.append)
    [provisional] = seen  # once
    assert provisional.env == {} and provisional.probes == []  # the slow probe had not answered yet
    assert inventory.env == {"CUDA_VISIBLE_DEVICES": "0"} and [r.name for r in inventory.probes] == [
        "environment", "other_accelerators"]


def test_nothing_is_rehearsed_where_no_probe_forks():
    from accelctl.probes.collect import collect

    seen = []
    collect(FixtureHost(str(NODE)), ProbeOptions(), matrices=MatrixSet(), rehearse=seen.append)
    assert seen == []


@needs_fork
def test_early_forks_count_against_the_cpus(monkeypatch, forks):
    """Four CPUs: three probe processes at a time (one CPU stays with the doctor), early ones included."""
    monkeypatch.setattr(forked, "usable_cpus", lambda: 4)
    probes = [_probe("a", _sleepy(0.2)), _probe("b", _sleepy(0.2))] + [
        _probe(f"later{i}", lambda ctx: ctx.results.get("a"), requires=("a",)) for i in range(3)]
    results, runs = run_probes(probes, _ctx(), processes=True)
    early = [name for name, children in forks.items() if any(e for _, e in children)]
    assert early == ["later0"]  # beside a and b; the other two fork at their level
    assert [r.status for r in runs] == ["ok"] * 5 and results["later2"] == 0.2


@needs_fork
def test_a_consumer_that_died_costs_its_producer_nothing(many_cpus, monkeypatch):
    """The producer's write to a dead consumer fails quietly; its own result still comes back, and the
    consumer is reported as a process that ended without a result."""
    from accelctl.probes.base import LazyRun

    monkeypatch.setenv("ACCELCTL_TEST_PID", str(os.getpid()))
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent / "lazy"))
    monkeypatch.delitem(sys.modules, "dies_when_forked", raising=False)
    consumer = Probe(name="later", section="later", run=LazyRun("dies_when_forked"), requires=("first",),
                     own_process=True)
    ctx = _ctx()
    results, runs = run_probes([_first(0.3), consumer], ctx, processes=True)
    assert [r.status for r in runs] == ["ok", "failed"] and "exit code 5" in runs[1].error
    assert "ended_at" in results["first"] and "later" not in results
    assert "dies_when_forked" not in sys.modules


@needs_fork
def test_no_descriptors_for_early_inputs_means_no_early_forks(many_cpus, monkeypatch, forks):
    real_pipe, calls = os.pipe, []

    def first_pipe_fails():  # the first pipe asked for is an early child's input
        calls.append(1)
        if len(calls) == 1:
            raise OSError(24, "Too many open files")
        return real_pipe()

    monkeypatch.setattr(forked.os, "pipe", first_pipe_fails)
    later = _lazy_probe(monkeypatch, own_process=True)
    results, runs = run_probes([_first(0.1), later], _ctx(), processes=True)
    assert [r.status for r in runs] == ["ok", "ok"]
    assert [early for _, early in forks["later"]] == [False]  # forked at its own level instead
    assert results["later"]["first"] == results["first"]


@needs_fork
def test_an_early_child_whose_doctor_is_gone_ends(monkeypatch):
    """The doctor killed (SIGKILL) before the input came: the early child must not wait forever, even when the
    doctor was gone before the child first looked (its new parent is then all it could see)."""
    monkeypatch.setattr(forked, "_ORPHAN_CHECK_S", 0.05)
    child_main = forked._child_main

    def slow_to_start(*args):
        time.sleep(0.2)  # the doctor below is gone by then
        child_main(*args)

    monkeypatch.setattr(forked, "_child_main", slow_to_start)
    read_fd, write_fd = os.pipe()
    done_r, done_w = os.pipe()
    middle = os.fork()
    if middle == 0:  # plays the doctor: forks the early child, then dies at once
        try:
            os.close(read_fd)
            probe = _probe("later", lambda ctx: 1, requires=("first",))
            child = forked._fork(probe, _ctx(), lambda *a: None, inputs=[("first", done_r)])
            os.write(write_fd, str(child.pid).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    os.waitpid(middle, 0)
    early_pid = int(os.read(read_fd, 64))
    os.close(read_fd)
    deadline = time.monotonic() + 5  # the input never comes (done_w stays open here), yet the child ends
    while time.monotonic() < deadline:
        if _ended(early_pid):
            break
        time.sleep(0.02)
    else:
        os.kill(early_pid, signal.SIGKILL)
        pytest.fail("the orphaned early child kept waiting")
    os.close(done_r)
    os.close(done_w)


def _record_matrix_loads(monkeypatch, tmp_path):
    """Every matrix loaded from files, in any process of the run: a list of (pid, name), read after the run."""
    log = tmp_path / "loads"
    real_load = MatrixSet._load

    def load(self, name):
        with open(log, "a") as f:
            f.write(f"{os.getpid()} {name}\n")
        return real_load(self, name)

    monkeypatch.setattr(MatrixSet, "_load", load)
    return lambda: [(int(pid), name) for pid, name in (line.split() for line in log.read_text().splitlines())] \
        if log.exists() else []


def _open_fds():
    return sorted(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else []


@needs_fork
def test_an_early_child_is_sent_its_matrices_by_the_doctor_while_it_imports(many_cpus, monkeypatch, tmp_path):
    """Loaded once, here, in idle time; the child adopts them instead of loading them, and the run keeps them."""
    loads = _record_matrix_loads(monkeypatch, tmp_path)
    later = _lazy_probe(monkeypatch, own_process=True, matrices=("jax",))
    ctx, fds = _ctx(), _open_fds()
    results, runs = run_probes([_first(), later], ctx, processes=True)
    assert [r.status for r in runs] == ["ok", "ok"] and results["later"]["ran_in"] != os.getpid()
    assert loads() == [(os.getpid(), "jax")]
    assert "jax" in ctx.matrices.loaded() and results["later"]["first"] == results["first"]
    assert _open_fds() == fds  # every feed's ends closed


@needs_fork
@pytest.mark.parametrize("how", ["failing here", "too big for its pipe"])
def test_an_early_child_not_sent_its_matrices_loads_them_itself(many_cpus, monkeypatch, tmp_path, how):
    if how == "failing here":
        doctor, real = os.getpid(), MatrixSet.entries_or_empty

        def broken_here(self, name):
            if os.getpid() == doctor:
                raise RuntimeError("a bug in this process's load")
            return real(self, name)

        monkeypatch.setattr(MatrixSet, "entries_or_empty", broken_here)
    else:
        monkeypatch.setattr(forked, "_widen", lambda fd: 16)
    loads = _record_matrix_loads(monkeypatch, tmp_path)
    later = _lazy_probe(monkeypatch, own_process=True, matrices=("jax",))
    ctx, fds = _ctx(), _open_fds()
    results, runs = run_probes([_first(), later], ctx, processes=True)
    assert [r.status for r in runs] == ["ok", "ok"]
    loaded_in = [pid for pid, name in loads() if name == "jax"]
    if how == "failing here":
        assert loaded_in == [results["later"]["ran_in"]] != [os.getpid()]  # by the child alone
    else:  # loaded here for it, found too big to send without blocking: loaded there again
        assert loaded_in == [os.getpid(), results["later"]["ran_in"]]
    assert "jax" in ctx.matrices.loaded()  # and sent back with its result
    assert _open_fds() == fds


def test_a_garbled_or_empty_matrix_feed_adopts_nothing():
    ctx = _ctx()
    assert forked._receive_matrices(ctx, [b"\x80\x05garbage"]) == set()
    assert forked._receive_matrices(ctx, []) == set()
    assert ctx.matrices.loaded() == {}


@needs_fork
def test_ctrl_c_while_feeding_leaves_no_child_and_no_open_feed(many_cpus, monkeypatch, forks):
    def interrupted(self, name):
        raise KeyboardInterrupt

    monkeypatch.setattr(forked.Forks, "_feed_matrices", interrupted)
    later = _lazy_probe(monkeypatch, own_process=True, matrices=("jax",), requires=("long",))
    fds = _open_fds()
    with pytest.raises(KeyboardInterrupt):
        _run([_probe("long", lambda ctx: time.sleep(30)), later], processes=True)
    assert forks["later"][0][1]  # it had forked early, with a feed
    assert all(_reaped(pid) for runs in forks.values() for pid, _ in runs)
    assert _open_fds() == fds


@pytest.mark.parametrize("cpus, early", [
    (4, ["frameworks", "nvidia"]),  # two CPUs spare beside python's and the doctor's: the heavy probes take them
    (16, ["frameworks", "nvidia", "amd", "intel", "other_accelerators"]),
])
def test_the_heavy_probes_fork_early_before_the_light_ones(cpus, early):
    from accelctl.probes.runner import _levels

    levels = _levels(all_probes())
    i = next(n for n, level in enumerate(levels) if any(p.name == "python" for p in level))
    python = [p for p in levels[i] if p.name == "python"]
    forks = forked.Forks(_ctx(), None, None, cpus)
    plan = forked._early_plan(python, levels[i], levels[i + 1:], forks._room(len(python)))
    assert [p.name for p, _ in plan] == early
