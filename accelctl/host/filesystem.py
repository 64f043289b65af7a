"""Files under a root, read the way the inspected machine would see them.

With root "/" this is the live machine. With any other root (an unpacked
image, a fixture tree) absolute symbolic links are resolved inside the root and
nothing can escape it, so a hostile image cannot make us read host files.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from accelctl.host.base import (
    AccessDenied,
    CommandResult,
    DirEntry,
    FileMissing,
    HostError,
    NotSupported,
)
from accelctl.host.deadline import Deadline

_MAX_LINK_HOPS = 40


class FileSystemHost:
    """A Host that answers file questions under ``root`` and nothing else."""

    can_run_commands = False
    can_query_devices = False

    def __init__(self, root: str = "/", env: Mapping[str, str] | None = None, label: str = "",
                 deadline: Deadline | None = None) -> None:
        self.root = os.path.abspath(root)
        # the run's deadline starts with the host; ``env`` is the inspected tree's, so accelctl's own setting
        # comes from its own environment
        self.deadline = deadline if deadline is not None else Deadline.from_environ(os.environ)
        self._plain = self.root == "/"
        self._env: dict[str, str] = dict(env or {})
        self.label = label or (f"rootfs {self.root}" if not self._plain else "this machine")
        self._realpaths: dict[str, str] = {}

    # -- environment -------------------------------------------------------
    @property
    def env(self) -> Mapping[str, str]:
        return self._env

    # -- path mapping ------------------------------------------------------
    def _host_path(self, path: str, follow_last: bool = True) -> str:
        """Map a machine path to a real path, resolving links inside the root."""
        if not path.startswith("/"):
            raise HostError(f"not an absolute path: {path!r}")
        if self._plain:
            return path
        return self._resolve(path, follow_last)

    def _resolve(self, path: str, follow_last: bool) -> str:
        parts = [p for p in posixpath.normpath(path).split("/") if p not in ("", ".")]
        done: list[str] = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            candidate = os.path.join(self.root, *done, part)
            if (parts or follow_last) and os.path.islink(candidate):
                hops += 1
                if hops > _MAX_LINK_HOPS:
                    raise HostError(f"too many levels of symbolic links: {path}")
                target = os.readlink(candidate)
                if target.startswith("/"):
                    done = []
                parts = [p for p in target.split("/") if p not in ("", ".")] + parts
                continue
            done.append(part)
        return os.path.join(self.root, *done)

    def _to_machine(self, real: str) -> str:
        if self._plain:
            return real
        rel = os.path.relpath(real, self.root)
        return "/" if rel == "." else "/" + rel

    # -- files -------------------------------------------------------------
    def read_bytes(self, path: str, limit: int = 4 << 20) -> bytes:
        real = self._host_path(path)
        try:
            return _read_fd_range(real, 0, limit)
        except OSError as exc:
            raise _os_error(path, exc) from None

    def read_text(self, path: str, limit: int = 4 << 20) -> str:
        return self.read_bytes(path, limit).decode("utf-8", errors="replace")

    def read_at(self, path: str, offset: int, size: int) -> bytes:
        """A range of a file (ELF headers of large libraries are read this way)."""
        real = self._host_path(path)
        try:
            return _read_fd_range(real, offset, size)
        except OSError as exc:
            raise _os_error(path, exc) from None

    def exists(self, path: str) -> bool:
        try:
            return os.path.exists(self._host_path(path))
        except (HostError, OSError):
            return False

    def is_dir(self, path: str) -> bool:
        try:
            return os.path.isdir(self._host_path(path))
        except (HostError, OSError):
            return False

    def is_file(self, path: str) -> bool:
        try:
            return os.path.isfile(self._host_path(path))
        except (HostError, OSError):
            return False

    def list_dir(self, path: str, match: Callable[[str], bool] | None = None) -> list[DirEntry]:
        real = self._host_path(path)
        entries = []
        try:
            with os.scandir(real) as it:
                for e in it:
                    if match is not None and not match(e.name):
                        continue
                    try:
                        is_link = e.is_symlink()
                        is_dir = e.is_dir(follow_symlinks=not is_link) or (
                            is_link and self.is_dir(posixpath.join(path, e.name))
                        )
                    except OSError:
                        is_link, is_dir = False, False
                    entries.append(DirEntry(e.name, is_dir, is_link))
        except OSError as exc:
            raise _os_error(path, exc) from None
        entries.sort(key=lambda d: d.name)
        return entries

    def readlink(self, path: str) -> str | None:
        try:
            real = self._host_path(path, follow_last=False)
            return os.readlink(real) if os.path.islink(real) else None
        except (HostError, OSError):
            return None

    def realpath(self, path: str) -> str:
        """The path with every link resolved; remembered, as probes resolve the same folders again and again
        (one ``lstat`` per path component each time) and a doctor run is a snapshot of one moment."""
        known = self._realpaths.get(path)
        if known is None:
            known = os.path.realpath(path) if self._plain else self._to_machine(self._resolve(path, True))
            self._realpaths[path] = known
        return known

    def file_size(self, path: str) -> int | None:
        try:
            return os.stat(self._host_path(path)).st_size
        except (HostError, OSError):
            return None

    def access(self, path: str, write: bool = False) -> bool | None:
        """Whether the current user may open ``path``; None where it cannot be known."""
        if not self._plain:
            return None
        try:
            return os.access(path, os.R_OK | (os.W_OK if write else 0))
        except OSError:
            return None

    def which(self, name: str) -> str | None:
        for folder in self.env.get("PATH", "").split(":"):
            if not folder.startswith("/"):
                continue
            candidate = posixpath.join(folder, name)
            if self.is_file(candidate) and self._executable(candidate):
                return candidate
        return None

    def _executable(self, path: str) -> bool:
        try:
            return bool(os.stat(self._host_path(path)).st_mode & 0o111)
        except (HostError, OSError):
            return False

    def warm_up(self) -> None:
        """Begin slow device-library set-up in the background before the probes run; a file tree has none."""

    def release(self) -> None:
        """End what warm_up started; a file tree started nothing."""

    # -- what a file tree cannot answer ------------------------------------
    def run(self, argv: Sequence[str], timeout: float = 5.0) -> CommandResult:
        raise NotSupported(f"{self.label}: commands are not run on an inspected filesystem")

    def nvml(self, call: str, *args: Any) -> Any:
        raise NotSupported(f"{self.label}: NVML is not queried on an inspected filesystem")

    def amdsmi(self, call: str, *args: Any) -> Any:
        raise NotSupported(f"{self.label}: amdsmi is not queried on an inspected filesystem")


# O_NONBLOCK: opening a FIFO planted where a file should be must not wait for a writer (never hang).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
_CHUNK = 64 << 10


def _read_fd_range(real: str, offset: int, size: int) -> bytes:
    """Up to ``size`` bytes of ``real`` from ``offset``: exactly as many as are there, in as few system calls.

    A buffered ``open(...).read(limit)`` first allocates ``limit`` bytes (4 MiB for a
    ``read_bytes``), which is a fresh mapping and page faults per small file; reading
    with the file's own size costs an open, an fstat, one pread and a close. Files whose
    size says nothing (procfs, sysfs, pipes) are read in chunks until end of file.
    """
    _refuse_special(os.stat(real).st_mode, real)  # before opening: opening some devices has effects
    fd = os.open(real, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        _refuse_special(info.st_mode, real)  # the path may have been swapped since the stat
        known = stat.S_ISREG(info.st_mode) and info.st_size > 0
        if known:
            want = max(0, min(size, info.st_size - offset))
            data = os.pread(fd, want, offset) if want else b""
            if len(data) == want:
                return data
            os.lseek(fd, offset + len(data), os.SEEK_SET)  # the file shrank under us: read on to its end
        else:
            data = b""
            if offset:
                os.lseek(fd, offset, os.SEEK_SET)
        parts = [data]
        total = len(data)
        while total < size:
            piece = os.read(fd, min(_CHUNK, size - total))
            if not piece:
                break
            parts.append(piece)
            total += len(piece)
        return b"".join(parts)
    finally:
        os.close(fd)


def _refuse_special(mode: int, real: str) -> None:
    """Only regular files are read: a FIFO could block, a device could be endless or have effects when read."""
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", real)
    if not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, "not a regular file", real)


def _os_error(path: str, exc: OSError) -> HostError:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return FileMissing(f"{path}: no such file")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return AccessDenied(f"{path}: permission denied")
    return HostError(f"{path}: {exc.strerror or exc}")
