"""A recorded machine: a file tree plus recorded commands and device-library answers.

Layout of a fixture folder (what ``accelctl capture`` writes)::

    README.md        where the capture came from
    host.json        {"label": ..., "can_run_commands": true, "can_query_devices": true}
    env.json         environment variables of the captured process
    files/           the files the probes read, at their real paths
    commands.json    {"nvidia-smi -q -x": {"returncode": 0, "stdout": "...", "stderr": ""}, ...}
    nvml.json        {"nvmlSystemGetDriverVersion []": "580.159.04", "nvmlInit []": {"error": {...}}}
    amdsmi.json      same shape as nvml.json
    ranges.json      {"/path": {"size": N, "pieces": [[offset, "base64"], ...]}}: the byte ranges of large
                     files (ELF headers and sections of libraries) that probes read with read_at

A command is keyed by its program's base name and arguments joined by spaces;
``"prog *"`` matches any arguments. An entry ``{"exec": [...]}`` really runs
that argv (through the same timeout machinery as the live host), so tests can
reproduce a hanging tool. An unrecorded command behaves as not installed; with
no nvml.json, NVML behaves as absent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from accelctl.host.base import CommandResult, DeviceLibraryError, NotSupported
from accelctl.host.commands import run_within
from accelctl.host.deadline import Deadline
from accelctl.host.filesystem import FileSystemHost

KEEP_FILE = ".accelctl-keep"  # keeps an empty recorded folder in git; never shown to probes


def call_key(call: str, args: Sequence[Any]) -> str:
    """The key a device-library call is recorded under."""
    return f"{call} {json.dumps(list(args))}"


def command_key(argv: Sequence[str]) -> str:
    return " ".join([os.path.basename(argv[0]), *argv[1:]]) if argv else ""


class FixtureHost(FileSystemHost):
    """Replays a captured machine from a folder."""

    def __init__(self, folder: str, env: dict[str, str] | None = None, deadline: Deadline | None = None) -> None:
        self.folder = os.path.abspath(folder)
        meta = _load_json(os.path.join(self.folder, "host.json")) or {}
        recorded_env = _load_json(os.path.join(self.folder, "env.json")) or {}
        super().__init__(
            os.path.join(self.folder, "files"),
            env if env is not None else recorded_env,
            label=meta.get("label") or f"fixture {os.path.basename(self.folder)}",
            deadline=deadline,
        )
        self.can_run_commands = bool(meta.get("can_run_commands", True))
        self.can_query_devices = bool(meta.get("can_query_devices", True))
        self._commands: dict[str, Any] = _load_json(os.path.join(self.folder, "commands.json")) or {}
        self._nvml: dict[str, Any] | None = _load_json(os.path.join(self.folder, "nvml.json"))
        self._amdsmi: dict[str, Any] | None = _load_json(os.path.join(self.folder, "amdsmi.json"))
        self._ranges: dict[str, Any] = _load_json(os.path.join(self.folder, "ranges.json")) or {}

    def read_at(self, path: str, offset: int, size: int) -> bytes:
        recorded = self._ranges.get(self.realpath(path)) or self._ranges.get(path)
        if recorded is None:
            return super().read_at(path, offset, size)
        import base64

        end = min(offset + size, recorded["size"])
        out = bytearray(max(0, end - offset))  # unrecorded bytes read as zeros, as from a sparse file
        for start, data in recorded["pieces"]:
            piece = base64.b64decode(data)
            lo, hi = max(offset, start), min(end, start + len(piece))
            if lo < hi:
                out[lo - offset:hi - offset] = piece[lo - start:hi - start]
        return bytes(out)

    def file_size(self, path: str):
        recorded = self._ranges.get(self.realpath(path)) or self._ranges.get(path)
        return recorded["size"] if recorded else super().file_size(path)

    def list_dir(self, path: str, match=None):
        return [e for e in super().list_dir(path, match) if e.name != KEEP_FILE]

    def run(self, argv: Sequence[str], timeout: float = 5.0) -> CommandResult:
        if not self.can_run_commands:
            return super().run(argv, timeout)
        key = command_key(argv)
        record = self._commands.get(key) or self._commands.get(f"{os.path.basename(argv[0])} *")
        if record is None:
            return CommandResult(tuple(argv), None, missing=True)
        if "exec" in record:
            result = run_within(record["exec"], timeout, self.deadline)
            return CommandResult(tuple(argv), result.returncode, result.stdout, result.stderr,
                                 result.timed_out, result.missing, result.duration_s, result.stopped_by)
        return CommandResult(
            tuple(argv),
            record.get("returncode", 0),
            stdout=record.get("stdout", ""),
            stderr=record.get("stderr", ""),
        )

    def nvml(self, call: str, *args: Any) -> Any:
        return self._replay("NVML", self._nvml, call, args)

    def amdsmi(self, call: str, *args: Any) -> Any:
        return self._replay("amdsmi", self._amdsmi, call, args)

    def _replay(self, library: str, table: dict[str, Any] | None, call: str, args: Sequence[Any]) -> Any:
        if not self.can_query_devices or table is None:
            raise NotSupported(f"{library} is not available on {self.label}")
        if "__unavailable__" in table:
            raise NotSupported(str(table["__unavailable__"]))
        init = table.get(call_key("nvmlInit" if library == "NVML" else "amdsmi_init", []))
        for answer in (init, table.get(call_key(call, args))):
            if isinstance(answer, dict) and set(answer) == {"error"}:
                err = answer["error"]
                raise DeviceLibraryError(library, err.get("code"), err.get("message", "error"))
        key = call_key(call, args)
        if key not in table:
            raise DeviceLibraryError(library, 3, f"Not Supported ({call} was not recorded)")
        answer = table[key]
        if isinstance(answer, dict) and set(answer) == {"value"}:
            return answer["value"]
        return answer


def _load_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        return None
