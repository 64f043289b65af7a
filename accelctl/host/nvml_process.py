"""NVML served from a forked process of its own, for the live host.

Loading pynvml (~200 ctypes structure classes) and NVML's start inside the
driver (``nvmlInit``, each GPU's first handle) take 30-40 ms on an H100 node;
in a process of their own they run on another core while the doctor reads
files, and the doctor process never imports pynvml at all. The same process
boundary is a guard: a wedged ``nvmlInit`` is killed at its timeout and a
segfault inside libnvidia-ml becomes an NVML error, where in a thread either
would take the doctor with it.

The server answers ``call(name, *args)`` exactly as ``LiveNvml.call`` does in
process (plain data, or DeviceLibraryError / NotSupported). One request at a
time: only the nvidia probe speaks to NVML, in whichever process runs it.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

from accelctl.host.base import DeviceLibraryError, NotSupported
from accelctl.host.children import describe_status, kill, kill_and_reap, reap, write_all

_LENGTH = struct.Struct("!I")


def _send(fd: int, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    write_all(fd, _LENGTH.pack(len(data)) + data)


def _recv_exact(fd: int, size: int, deadline: float | None) -> bytes | None:
    """``size`` bytes from ``fd``; None at end of file; TimeoutError past ``deadline`` (monotonic)."""
    parts, have = [], 0
    while have < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        chunk = os.read(fd, size - have)
        if not chunk:
            return None
        parts.append(chunk)
        have += len(chunk)
    return b"".join(parts)


def _recv(fd: int, deadline: float | None = None) -> Any:
    head = _recv_exact(fd, _LENGTH.size, deadline)
    if head is None:
        raise EOFError
    body = _recv_exact(fd, _LENGTH.unpack(head)[0], deadline)
    if body is None:
        raise EOFError
    return pickle.loads(body)


def serve(backend: Any, requests: int, replies: int) -> None:
    """The server's loop: warm the backend up, then answer each request until the request pipe closes."""
    backend.warm_up_now()
    while True:
        try:
            name, args = _recv(requests)
        except EOFError:
            return
        try:
            reply: Any = ("ok", backend.call(name, *args))
        except DeviceLibraryError as exc:
            reply = ("device", exc.code, exc.message)
        except NotSupported as exc:
            reply = ("unsupported", str(exc))
        except Exception as exc:  # noqa: BLE001 - any other failure is still an answer
            reply = ("device", None, f"{type(exc).__name__}: {exc}")
        _send(replies, reply)


class NvmlProcess:
    """The client side: the same ``call`` as LiveNvml, answered by the server process."""

    call_timeout = 20.0  # seconds one call (the first includes nvmlInit) may take before NVML is given up

    def __init__(self, backend_factory: Callable[[], Any]) -> None:
        self._factory = backend_factory
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._requests = self._replies = -1
        self._broken: DeviceLibraryError | None = None

    def start(self) -> bool:
        """Fork the server; False where that is not possible or not safe (the caller then uses NVML in process)."""
        if not hasattr(os, "fork") or threading.active_count() != 1:
            return False
        fds: list = []
        try:
            fds.extend(os.pipe())
            fds.extend(os.pipe())
            pid = os.fork()
        except OSError:  # no descriptors or no process to be had: NVML then runs in this process
            for fd in fds:
                os.close(fd)
            return False
        req_read, req_write, rep_read, rep_write = fds
        if pid == 0:  # the server: never returns into the caller's frames
            code = 0
            try:
                os.close(req_write)
                os.close(rep_read)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the doctor's to handle; EOF ends us
                serve(self._factory(), req_read, rep_write)
            except BaseException:  # noqa: BLE001
                code = 70
            finally:
                os._exit(code)
        os.close(req_read)
        os.close(rep_write)
        self._pid, self._requests, self._replies = pid, req_write, rep_read
        return True

    def call(self, name: str, *args: Any) -> Any:
        with self._lock:
            if self._broken is not None:
                raise self._broken
            try:
                _send(self._requests, (name, args))
                reply = _recv(self._replies, time.monotonic() + self.call_timeout)
            except TimeoutError:
                self._give_up(f"{name} did not return within {self.call_timeout:.0f} s")
            except (EOFError, OSError):
                self._give_up(f"the NVML process ended during {name} ({self._end_status()})")
        kind = reply[0]
        if kind == "ok":
            return reply[1]
        if kind == "unsupported":
            raise NotSupported(reply[1])
        raise DeviceLibraryError("NVML", reply[1], reply[2])

    def _give_up(self, why: str) -> None:
        self.close()
        self._broken = DeviceLibraryError("NVML", None, why)
        raise self._broken

    def _end_status(self) -> str:
        status = reap(self._pid) if self._pid else None
        self._pid = None
        return describe_status(status)

    def close(self, wait: bool = True) -> None:
        """End the server (it holds nothing that needs a clean shutdown: NVML is only read).

        ``wait=False`` does not wait for it to be gone: a process that held the
        GPU's device files takes ~5 ms to exit on an H100 node, which the doctor
        need not spend; a daemon thread reaps it (or, if the doctor ends first,
        the system does).
        """
        for fd in (self._requests, self._replies):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._requests = self._replies = -1
        if self._pid:
            if wait:
                kill_and_reap(self._pid)
            else:
                kill(self._pid)
                threading.Thread(target=reap, args=(self._pid,), name="nvml-reaper", daemon=True).start()
            self._pid = None
        if self._broken is None:
            self._broken = DeviceLibraryError("NVML", None, "the NVML process was closed")
