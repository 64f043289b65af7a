"""Vendor libraries (NVML, amdsmi) served from a child process with a deadline.

A vendor library runs native code inside whatever process loads it: a
constructor that crashes, calls ``_exit`` or never returns, or an ``nvmlInit``
wedged in the driver, would end or hang the doctor itself, with no report. So
the doctor never loads one: a fresh interpreter (``python -c``, not a fork,
which is safe from any thread) loads it and answers calls over a pipe. Its own
standard streams go nowhere, so what a library prints cannot reach the
report. A child that dies, exits, hangs past the deadline or answers what is
not a reply costs only the library's facts: every call from then on raises
DeviceLibraryError with the reason, which the probe records as an Unknown.

Requests and replies are JSON lines: ``[name, args]`` in; ``["ok", value]``,
``["device", code, message]`` or ``["unsupported", message]`` out.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, NoReturn

from accelctl.host.base import DeviceLibraryError, NotSupported

if TYPE_CHECKING:
    from accelctl.host.deadline import Deadline

# library name (as errors name it) -> "module:class" of the in-child backend, with LiveNvml's call shape
BACKENDS = {"NVML": "accelctl.host.device_libs:LiveNvml", "amdsmi": "accelctl.host.device_libs:LiveAmdSmi"}

# Most a reply line may hold: answers are small (a GPU's properties); more is not a reply.
MAX_REPLY = 4 << 20

# How long an ended or killed child may take to be reaped before it is left to the system: a process stuck inside
# a driver call cannot die until the call returns, and the doctor must not wait for it.
REAP_WAIT_S = 1.0

_CHILD = "import sys; from accelctl.host.device_process import serve; serve(sys.argv[1], int(sys.argv[2]))"


def serve(backend_path: str, replies: int) -> None:
    """The child: build the backend (this loads the library), warm it up, answer requests from stdin until EOF."""
    import importlib

    module, _, name = backend_path.partition(":")
    backend = getattr(importlib.import_module(module), name)()
    warm_up = getattr(backend, "warm_up_now", None)
    if warm_up is not None:
        warm_up()
    with os.fdopen(replies, "w", encoding="utf-8") as out:
        for line in sys.stdin:
            call, args = json.loads(line)
            try:
                reply: list[Any] = ["ok", backend.call(call, *args)]
            except DeviceLibraryError as exc:
                reply = ["device", exc.code, exc.message]
            except NotSupported as exc:
                reply = ["unsupported", str(exc)]
            except Exception as exc:  # noqa: BLE001 - any other failure is still an answer
                reply = ["device", None, f"{type(exc).__name__}: {exc}"]
            out.write(json.dumps(reply) + "\n")
            out.flush()


class DeviceProcess:
    """``call(name, *args)`` as the backend answers it, from a child process started on first need."""

    def __init__(self, library: str, deadline: float = 20.0, backend: str | None = None,
                 run_deadline: Deadline | None = None) -> None:
        self.library = library
        self.deadline = deadline  # seconds the child may take to start and answer one call
        self.run_deadline = run_deadline  # the whole run's: no call waits past it
        self._backend = backend or BACKENDS[library]
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._replies = -1
        self._pending = b""
        self._broken: DeviceLibraryError | None = None

    @property
    def started(self) -> bool:
        return self._proc is not None or self._broken is not None

    def start(self) -> None:
        """Start the child (once); it loads the library and warms it up while the caller does other work."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self.started:
            return
        package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)  # the library loads as it would here (LD_LIBRARY_PATH)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
        read_fd, write_fd = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD, self._backend, str(write_fd)], stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_fd,), env=env,
                close_fds=True, start_new_session=True)
        except OSError as exc:
            os.close(read_fd)
            self._broken = DeviceLibraryError(self.library, None, f"cannot start a process for it: {exc}")
            return
        finally:
            os.close(write_fd)
        self._replies = read_fd

    def call(self, name: str, *args: Any) -> Any:
        with self._lock:
            self._start()
            if self._broken is not None:
                raise self._broken
            run_left = self.run_deadline.left() if self.run_deadline is not None else self.deadline
            if run_left <= 0.0:
                self._give_up(f"{name} was not asked: {self._run_deadline_words()} had passed")
            try:
                assert self._proc is not None and self._proc.stdin is not None
                self._proc.stdin.write((json.dumps([name, list(args)]) + "\n").encode())
                self._proc.stdin.flush()
                reply = self._read_reply(time.monotonic() + min(self.deadline, run_left))
            except TimeoutError:
                if run_left < self.deadline:
                    self._give_up(f"{name} was stopped after {run_left:.1f} s by {self._run_deadline_words()}")
                self._give_up(f"{name} did not return within {self.deadline:g} s")
            except (EOFError, OSError):
                self._give_up(f"its process ended during {name} ({self._end_status()})")
            except ValueError as exc:  # not JSON, not UTF-8, not a reply's shape
                self._give_up(f"its process answered {name} with something that is not a reply ({exc})")
        kind = reply[0]
        if kind == "ok":
            return reply[1]
        if kind == "unsupported":
            raise NotSupported(str(reply[1]))
        raise DeviceLibraryError(self.library, reply[1] if isinstance(reply[1], int) else None, str(reply[2]))

    def _read_reply(self, deadline: float) -> list[Any]:
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._replies], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(self._replies, 1 << 16)
            if not chunk:
                raise EOFError
            self._pending += chunk
            if len(self._pending) > MAX_REPLY:
                raise ValueError(f"a reply longer than {MAX_REPLY} bytes")
        line, _, self._pending = self._pending.partition(b"\n")
        reply = json.loads(line.decode("utf-8"))
        if not (isinstance(reply, list) and reply and reply[0] in ("ok", "device", "unsupported")
                and len(reply) == (3 if reply[0] == "device" else 2)):
            raise ValueError("unexpected shape")
        return reply

    def _run_deadline_words(self) -> str:
        return self.run_deadline.describe() if self.run_deadline is not None else "the run's deadline"

    def _give_up(self, why: str) -> NoReturn:
        self.close()
        self._broken = DeviceLibraryError(self.library, None, why)
        raise self._broken

    def _end_status(self) -> str:
        """How the child ended, in words ("killed by SIGSEGV", "exit code 0")."""
        proc = self._proc
        try:
            code = proc.wait(REAP_WAIT_S) if proc is not None else None
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            return "its exit status is unknown"
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit code {code}"

    def close(self, wait: bool = True) -> None:
        """End the child (it holds nothing that needs a clean shutdown: the library is only read).

        ``wait=False`` leaves the reaping to a daemon thread: a child that held a
        GPU's device files may take a moment to exit, which the doctor need not wait for.
        """
        proc, self._proc = self._proc, None
        if self._replies >= 0:
            os.close(self._replies)
            self._replies = -1
        if proc is not None:
            if proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
            if proc.poll() is None:
                proc.kill()
            if wait:
                _reap(proc)
            else:
                threading.Thread(target=_reap, args=(proc,), name="device-reaper", daemon=True).start()
        if self._broken is None:
            self._broken = DeviceLibraryError(self.library, None, "its process was closed")


def _reap(proc: subprocess.Popen[bytes]) -> None:
    try:
        proc.wait(REAP_WAIT_S)
    except subprocess.TimeoutExpired:
        pass
