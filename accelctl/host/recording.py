"""Record what the probes read from a host, redacted, as a fixture folder.

``accelctl capture DIR`` runs the probes on the live machine through this
wrapper, then writes exactly what they touched (files, directory listings,
links, commands, NVML/amdsmi answers) in the FixtureHost layout. Serial
numbers, UUIDs, hostnames and MAC addresses are replaced before anything is
written, so the folder can be attached to a bug report.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from accelctl.host.base import CommandResult, DeviceLibraryError, DirEntry, Host, HostError
from accelctl.host.fixture import KEEP_FILE, call_key, command_key

_SMALL_FILE = 1 << 20
_STRINGS = re.compile(rb"[\x20-\x7e]{6,}")
_UUID = re.compile(r"\b(GPU|MIG)-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_MAC = re.compile(r"\b(?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}\b")
_SERIAL_LINE = re.compile(r"(?im)^(\s*(?:serial(?: number)?|board part number)\s*[:=]\s*).*$")
_SERIAL_XML = re.compile(r"(?i)(<serial>)[^<]*(</serial>)")
_SERIAL_CALLS = ("nvmlDeviceGetSerial", "nvmlDeviceGetBoardPartNumber", "amdsmi_get_gpu_asic_info")


class Redactor:
    """Replaces identifying values consistently (the same UUID always maps to the same stand-in)."""

    def __init__(self, hostnames: Sequence[str] = ()) -> None:
        self._uuids: dict[str, str] = {}
        self.hostnames = [h for h in hostnames if h and len(h) > 2 and h not in ("localhost", "vm")]

    def _uuid(self, m: re.Match[str]) -> str:
        real = m.group(0)
        if real not in self._uuids:
            n = len(self._uuids)
            self._uuids[real] = f"{m.group(1)}-00000000-0000-0000-0000-{n:012d}"
        return self._uuids[real]

    def text(self, value: str) -> str:
        value = _UUID.sub(self._uuid, value)
        value = _MAC.sub("00:00:00:00:00:00", value)
        value = _SERIAL_LINE.sub(lambda m: m.group(1) + "<redacted>", value)
        value = _SERIAL_XML.sub(r"\1<redacted>\2", value)
        for name in self.hostnames:
            value = value.replace(name, "<hostname>")
        return value

    def data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        return value


class RecordingHost:
    """Wraps a host; every answer is passed through and remembered."""

    def __init__(self, inner: Host) -> None:
        self.inner = inner
        self.label = inner.label
        self.root = inner.root
        self.can_run_commands = inner.can_run_commands
        self.can_query_devices = inner.can_query_devices
        self.deadline = inner.deadline
        self._lock = threading.Lock()
        self.files: dict[str, bytes] = {}
        self.ranges: dict[str, dict[int, bytes]] = {}
        self.sizes: dict[str, int] = {}
        self.dirs: set[str] = set()
        self.present_files: set[str] = set()
        self.links: dict[str, str] = {}
        self.executables: set[str] = set()
        self.commands: dict[str, dict[str, Any]] = {}
        self.nvml_calls: dict[str, Any] = {}
        self.amdsmi_calls: dict[str, Any] = {}

    @property
    def env(self) -> Mapping[str, str]:
        return self.inner.env

    # -- files -------------------------------------------------------------
    def read_bytes(self, path: str, limit: int = 4 << 20) -> bytes:
        data = self.inner.read_bytes(path, limit)
        with self._lock:
            if len(data) > len(self.files.get(path, b"")):
                self.files[path] = data
        self._note_links(path)
        return data

    def read_text(self, path: str, limit: int = 4 << 20) -> str:
        return self.read_bytes(path, limit).decode("utf-8", errors="replace")

    def read_at(self, path: str, offset: int, size: int) -> bytes:
        data = self.inner.read_at(path, offset, size)
        total = self.inner.file_size(path)
        with self._lock:
            self.ranges.setdefault(path, {})[offset] = data
            if total is not None:
                self.sizes[path] = total
        self._note_links(path)
        return data

    def _note_presence(self, path: str, is_dir: bool) -> None:
        with self._lock:
            (self.dirs if is_dir else self.present_files).add(path)

    def _note_links(self, path: str, depth: int = 0) -> None:
        """Remember every symbolic link along ``path``, and along their targets, so the replay resolves it the same way."""
        if depth > 8:
            return
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            prefix = "/" + "/".join(parts[:i])
            target = self.inner.readlink(prefix)
            if target is None:
                continue
            with self._lock:
                known = self.links.get(prefix) == target
                self.links[prefix] = target
            if not known:  # follow the chain: /usr/local/cuda -> /etc/alternatives/cuda -> /usr/local/cuda-13.0
                base = target if target.startswith("/") else posixpath.join(posixpath.dirname(prefix), target)
                rest = "/".join(parts[i:])
                self._note_links(posixpath.normpath(posixpath.join(base, rest) if rest else base), depth + 1)

    def exists(self, path: str) -> bool:
        ok = self.inner.exists(path)
        if ok:
            self._note_presence(path, self.inner.is_dir(path))
            self._note_links(path)
        return ok

    def is_dir(self, path: str) -> bool:
        ok = self.inner.is_dir(path)
        if ok:
            self._note_presence(path, True)
            self._note_links(path)
        return ok

    def is_file(self, path: str) -> bool:
        ok = self.inner.is_file(path)
        if ok:
            self._note_presence(path, False)
            self._note_links(path)
        return ok

    def list_dir(self, path: str, match: Callable[[str], bool] | None = None) -> list[DirEntry]:
        entries = self.inner.list_dir(path, match)
        self._note_presence(path, True)
        self._note_links(path)
        for e in entries:
            child = path.rstrip("/") + "/" + e.name
            if e.is_symlink:
                target = self.inner.readlink(child)
                if target is not None:
                    with self._lock:
                        self.links[child] = target
                    continue
            self._note_presence(child, e.is_dir)
        return entries

    def readlink(self, path: str) -> str | None:
        target = self.inner.readlink(path)
        if target is not None:
            with self._lock:
                self.links[path] = target
        return target

    def realpath(self, path: str) -> str:
        self._note_links(path)
        return self.inner.realpath(path)

    def file_size(self, path: str) -> int | None:
        return self.inner.file_size(path)

    def access(self, path: str, write: bool = False) -> bool | None:
        return self.inner.access(path, write)

    def which(self, name: str) -> str | None:
        found = self.inner.which(name)
        if found:
            self._note_presence(found, False)
            self._note_links(found)
            with self._lock:
                self.executables.add(found)
        return found

    # -- commands and device libraries -------------------------------------
    def run(self, argv: Sequence[str], timeout: float = 5.0) -> CommandResult:
        result = self.inner.run(argv, timeout)
        record: dict[str, Any]
        if result.missing:
            return result
        if result.timed_out:
            record = {"exec": ["sleep", str(int(timeout) + 5)], "note": "timed out when captured"}
        else:
            record = {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr}
        with self._lock:
            self.commands[command_key(argv)] = record
        return result

    def warm_up(self) -> None:
        self.inner.warm_up()

    def release(self) -> None:
        self.inner.release()

    def nvml(self, call: str, *args: Any) -> Any:
        return self._device(self.inner.nvml, self.nvml_calls, call, args)

    def amdsmi(self, call: str, *args: Any) -> Any:
        return self._device(self.inner.amdsmi, self.amdsmi_calls, call, args)

    def _device(self, fn: Any, table: dict[str, Any], call: str, args: tuple[Any, ...]) -> Any:
        key = call_key(call, args)
        try:
            value = fn(call, *args)
        except DeviceLibraryError as exc:
            with self._lock:
                table[key] = {"error": {"code": exc.code, "message": exc.message}}
            raise
        except HostError as exc:
            with self._lock:
                table["__unavailable__"] = str(exc)
            raise
        with self._lock:
            table[key] = "<redacted>" if call in _SERIAL_CALLS else value
        return value


def write_capture(rec: RecordingHost, folder: str, env: Mapping[str, str], readme: str,
                  recorded_env: Mapping[str, str]) -> list[str]:
    """Write the recording as a fixture folder (``recorded_env``: the variables the probes read, as they saw
    them; ``env``: the whole environment, whose host names are redacted); returns notes on what was shortened."""
    hostnames = [env.get("HOSTNAME", "")]
    try:
        hostnames.append(rec.inner.read_text("/etc/hostname", 256).strip())
    except HostError:
        pass
    red = Redactor(hostnames)
    notes: list[str] = []
    files_root = os.path.join(folder, "files")
    os.makedirs(files_root, exist_ok=True)

    from accelctl.host.filesystem import FileSystemHost

    tree = FileSystemHost(files_root)

    def real(path: str, follow_last: bool = True) -> str:
        """Where ``path`` lands in the capture, through the links already written (never outside)."""
        return tree._resolve(path, follow_last)

    for path, target in sorted(rec.links.items(), key=lambda kv: (kv[0].count("/"), kv[0])):
        dest = real(path, follow_last=False)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if not os.path.lexists(dest):
            os.symlink(target, dest)
    for path in sorted(rec.dirs):
        dest = real(path)
        if not os.path.lexists(dest):
            os.makedirs(dest, exist_ok=True)
    for path in sorted(rec.present_files):
        dest = real(path)
        if os.path.lexists(dest):
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        open(dest, "wb").close()
    for path, data in sorted(rec.files.items()):
        dest = real(path)
        if os.path.isdir(dest):
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if len(data) > _SMALL_FILE:
            kept = b"\n".join(_STRINGS.findall(data))
            if data[:4] == b"\x7fELF":
                kept = data[:64] + b"\n" + kept  # the header carries the architecture
            notes.append(f"{path}: binary, {len(data)} bytes read; kept its printable strings ({len(kept)} bytes)")
            data = kept
        elif b"\x00" not in data[:4096]:
            data = red.text(data.decode("utf-8", errors="replace")).encode("utf-8")
        # small binary files (ld.so.cache, ELF headers) are kept as they are: probes parse them
        with open(dest, "wb") as fh:
            fh.write(data)

    ranges: dict[str, Any] = {}
    for path, pieces in sorted(rec.ranges.items()):
        # The byte ranges probes read from large files (ELF headers and sections), not the whole file.
        import base64

        dest = real(path)
        if os.path.isdir(dest) or path in rec.files:
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if not os.path.lexists(dest):
            open(dest, "wb").close()
        size = rec.sizes.get(path, max(o + len(d) for o, d in pieces.items()))
        ranges[rec.inner.realpath(path)] = {"size": size, "pieces": [[o, base64.b64encode(d).decode()] for o, d in sorted(pieces.items())]}
    if ranges:
        with open(os.path.join(folder, "ranges.json"), "w", encoding="utf-8") as text:
            json.dump(ranges, text, indent=1, sort_keys=True)

    for dirpath, dirnames, filenames in os.walk(files_root):
        if not dirnames and not filenames:  # git keeps no empty folder; the replay hides this file
            open(os.path.join(dirpath, KEEP_FILE), "wb").close()

    for path in sorted(rec.executables):
        dest = real(path)
        if os.path.isfile(dest):
            os.chmod(dest, 0o755)

    def dump(name: str, obj: Any) -> None:
        with open(os.path.join(folder, name), "w", encoding="utf-8") as text:
            json.dump(red.data(obj), text, indent=2, sort_keys=True)
            text.write("\n")

    dump("env.json", dict(recorded_env))
    dump("commands.json", rec.commands)
    if rec.nvml_calls:
        dump("nvml.json", rec.nvml_calls)
    if rec.amdsmi_calls:
        dump("amdsmi.json", rec.amdsmi_calls)
    dump("host.json", {"label": f"capture of {red.text(rec.label)}", "can_run_commands": rec.can_run_commands,
                       "can_query_devices": rec.can_query_devices})
    with open(os.path.join(folder, "README.md"), "w", encoding="utf-8") as text:
        text.write(readme + ("\n\n## Shortened\n" + "\n".join(f"- {n}" for n in notes) if notes else "") + "\n")
    return notes
