"""The one narrow door through which probes read a machine.

Probes never touch ``os``, ``subprocess`` or ``pynvml``: they ask a Host. The
live machine, an unpacked image rootfs and a recorded fixture are all Hosts,
so every probe runs unchanged on each of them, and tests need no hardware.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from accelctl.host.deadline import Deadline
from accelctl.record import record


class HostError(Exception):
    """Something a probe asked for could not be had; the message says why."""


class FileMissing(HostError):
    pass


class AccessDenied(HostError):
    pass


class NotSupported(HostError):
    """This host cannot answer this kind of question (e.g. commands on a rootfs)."""


class DeviceLibraryError(HostError):
    """NVML or amdsmi answered with an error; ``code`` is the library's own."""

    def __init__(self, library: str, code: int | None, message: str) -> None:
        super().__init__(f"{library}: {message}" + (f" (code {code})" if code is not None else ""))
        self.library = library
        self.code = code
        self.message = message


@record
class CommandResult:
    """What a command did; a missing or hung command is a result, not an exception."""

    argv: tuple[str, ...]
    returncode: int | None
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    missing: bool = False
    duration_s: float = 0.0
    stopped_by: str = ""  # the run's deadline in words, when that (not the command's own timeout) stopped it

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.missing

    def why_failed(self) -> str:
        cmd = self.argv[0] if self.argv else "command"
        if self.missing:
            return f"{cmd} is not installed"
        if self.timed_out and self.stopped_by:
            if self.duration_s <= 0.0:
                return f"{cmd} was not run: {self.stopped_by} had passed"
            return f"{cmd} was stopped after {self.duration_s:.1f} s by {self.stopped_by}"
        if self.timed_out:
            return f"{cmd} did not answer within {self.duration_s:.1f} s"
        first = (self.stderr or self.stdout).strip().splitlines()
        return f"{cmd} exited with {self.returncode}" + (f": {first[0]}" if first else "")


@record
class DirEntry:
    name: str
    is_dir: bool
    is_symlink: bool


class Host(Protocol):
    """Read-only access to one machine or filesystem tree.

    Paths are absolute paths *on the inspected machine* ("/proc/driver/nvidia/version");
    the host maps them under its root. Symbolic links are resolved inside the root.
    """

    label: str
    root: str
    can_run_commands: bool
    can_query_devices: bool
    deadline: Deadline  # the run's: commands and device calls shrink to the time it leaves

    @property
    def env(self) -> Mapping[str, str]: ...

    def read_bytes(self, path: str, limit: int = 4 << 20) -> bytes: ...

    def read_text(self, path: str, limit: int = 4 << 20) -> str: ...

    def read_at(self, path: str, offset: int, size: int) -> bytes: ...

    def exists(self, path: str) -> bool: ...

    def is_dir(self, path: str) -> bool: ...

    def is_file(self, path: str) -> bool: ...

    def list_dir(self, path: str, match: Callable[[str], bool] | None = None) -> list[DirEntry]:
        """Entries sorted by name; with ``match``, only names it accepts (filtered before any stat:
        system library folders hold thousands of entries)."""
        ...

    def readlink(self, path: str) -> str | None: ...

    def realpath(self, path: str) -> str: ...

    def file_size(self, path: str) -> int | None: ...

    def access(self, path: str, write: bool = False) -> bool | None: ...

    def which(self, name: str) -> str | None: ...

    def run(self, argv: Sequence[str], timeout: float = 5.0) -> CommandResult: ...

    def nvml(self, call: str, *args: Any) -> Any: ...

    def amdsmi(self, call: str, *args: Any) -> Any: ...

    def warm_up(self) -> None:
        """Start slow, read-only device-library set-up (NVML's child process) while probes read files."""

    def release(self) -> None:
        """End the device libraries' child processes once the probes are done."""
