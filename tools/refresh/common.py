"""What every table refresher shares: dated source copies, the YAML writer, change reports.

A refresher returns a whole matrix document (header and entries, as plain data).
This module gives it the header's ``version``/``updated`` (bumped only when the
content changed, so a re-run on the same sources writes the same bytes),
validates it with the matrix's own loader, renders it as YAML and reports which
entries were added, removed or changed.
"""

from __future__ import annotations

import json
import re
import textwrap
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelctl.matrices.compile import plain

REPO = Path(__file__).resolve().parents[2]
MATRICES = REPO / "matrices"
SOURCES = Path(__file__).resolve().parent / "sources"

_HEADER_LINE = re.compile(r"^#@ (?P<key>[a-z_]+): (?P<value>.*)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class SourceCopy:
    """A dated copy of a source kept under ``sources/``.

    The copy starts with ``#@ key: value`` lines: ``url`` (what entries cite: for a
    repository file, its address at the commit), ``read`` (ISO date the source was
    read), optionally ``commit`` and ``note``. ``text`` is the rest of the file.
    """

    path: Path
    url: str
    read: str
    text: str
    commit: str | None = None
    note: str | None = None


def read_copy(name: str, folder: Path = SOURCES) -> SourceCopy:
    """Read ``sources/<name>`` and its header; ValueError naming the file when the header is incomplete."""
    path = folder / name
    header: dict[str, str] = {}
    body: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _HEADER_LINE.match(line)
        if m and not body:
            header[m.group("key")] = m.group("value").strip()
        else:
            body.append(line)
    missing = [k for k in ("url", "read") if not header.get(k)]
    if missing or not _ISO_DATE.match(header.get("read", "")):
        raise ValueError(f"{path}: the copy needs '#@ url:' and '#@ read: YYYY-MM-DD' header lines")
    return SourceCopy(path=path, url=header["url"], read=header["read"], text="\n".join(body) + "\n",
                      commit=header.get("commit"), note=header.get("note"))


def write_copy(name: str, body: str, url: str, read: str, commit: str | None = None, note: str | None = None,
               folder: Path = SOURCES) -> Path:
    """Keep ``body`` as the dated copy ``sources/<name>``, with the header ``read_copy`` reads."""
    if not re.match(r"^https?://", url) or not _ISO_DATE.match(read):
        raise ValueError("a source copy needs an http(s) URL and an ISO read date")
    header = [f"#@ url: {url}"] + ([f"#@ commit: {commit}"] if commit else []) + [f"#@ read: {read}"]
    header += [f"#@ note: {note}"] if note else []
    path = folder / name
    path.write_text("\n".join(header) + "\n" + body.rstrip("\n") + "\n", encoding="utf-8")
    return path


def _scalar(value: Any, key: str = "") -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if key in ("read", "updated") and _ISO_DATE.match(value):
            return value
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_scalar(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} into a matrix")


def render(doc: dict[str, Any]) -> str:
    """The matrix document as YAML in the house layout: header, then one block per entry."""
    out = [f"schema: {doc['schema']}", f"name: {doc['name']}", f"version: {doc['version']}",
           f"updated: {doc['updated']}", "description: >-"]
    out += ["  " + line for line in textwrap.wrap(str(doc["description"]), 110)]
    out.append("entries:")
    for entry in doc["entries"]:
        for i, (key, value) in enumerate(entry.items()):
            lead = "  - " if i == 0 else "    "
            if key == "source" and isinstance(value, list):
                out.append(f"{lead}source:")
                out += [f"      - {_scalar(s) if (' #' in s or ': ' in s) else s}" for s in value]
            else:
                out.append(f"{lead}{key}: {_scalar(value, key)}")
    text = "\n".join(out) + "\n"
    from accelctl.matrices.base import parse_yaml

    if plain(parse_yaml(text.encode("utf-8"))) != plain(doc):  # the writer must round-trip exactly
        raise AssertionError(f"matrix {doc['name']}: rendered YAML does not read back as the document")
    return text


def finish(doc: dict[str, Any], old: dict[str, Any] | None, today: str) -> dict[str, Any]:
    """Give ``doc`` its header: the old version and date when nothing changed, else version + 1 and today."""
    doc = dict(doc)
    doc.setdefault("schema", 1)
    if old is None:
        doc["version"], doc["updated"] = 1, today
    elif plain([old.get("description"), old.get("entries")]) == plain([doc.get("description"), doc.get("entries")]):
        doc["version"], doc["updated"] = old.get("version", 1), plain(old.get("updated", today))
    else:
        doc["version"], doc["updated"] = int(old.get("version") or 0) + 1, today
    head = {k: doc[k] for k in ("schema", "name", "version", "updated", "description")}
    return {**head, "entries": doc["entries"]}


def validate(doc: dict[str, Any], path: Path) -> None:
    """Raise MatrixError with every problem the bundled loader finds in ``doc``."""
    from accelctl.matrices import spec
    from accelctl.matrices.base import parse_matrix

    parse_matrix(spec(doc["name"]), plain(doc), str(path))


@dataclass(frozen=True)
class Changes:
    """Entries added, removed and changed between two versions of a matrix, by the matrix's key."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, list[str]]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def lines(self, name: str, limit: int = 50) -> list[str]:
        if not self:
            return [f"{name}: no change"]
        out = [f"{name}: {len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed"]
        items = ([f"  + {k}" for k in self.added] + [f"  - {k}" for k in self.removed]
                 + [f"  ~ {k}: {', '.join(fields)}" for k, fields in self.changed])
        out += items[:limit]
        if len(items) > limit:
            out.append(f"  ... and {len(items) - limit} more")
        return out


def _key(name: str, entry: dict[str, Any]) -> str:
    from accelctl.matrices import spec

    try:
        return str(spec(name).key(types.SimpleNamespace(**entry)))
    except Exception:  # noqa: BLE001 - an entry the key function cannot read is still reported, by its content
        return json.dumps(plain(entry), sort_keys=True)


def compare(name: str, old_entries: list[dict[str, Any]], new_entries: list[dict[str, Any]]) -> Changes:
    old = {_key(name, e): plain(e) for e in old_entries}
    new = {_key(name, e): plain(e) for e in new_entries}
    changed = []
    for k in new.keys() & old.keys():
        fields = sorted(f for f in old[k].keys() | new[k].keys() if old[k].get(f) != new[k].get(f))
        if fields:
            changed.append((k, fields))
    return Changes(added=sorted(new.keys() - old.keys()), removed=sorted(old.keys() - new.keys()),
                   changed=sorted(changed))
