"""The shared shape of every compatibility matrix and its strict loader.

A matrix is one YAML file per relationship (``matrices/<name>.yaml``): a
header, then entries that each carry the URL they were read from and the date
it was read. A subject module declares the entry dataclass and cross-entry
checks; this module turns the file into typed entries or into a list of
errors that name file, entry and field.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from packaging.version import InvalidVersion, Version

from accelctl.matrices.errors import MatrixError
from accelctl.record import record
from accelctl.serde import SchemaError, converter, from_data

E = TypeVar("E")

FORMAT_VERSION = 1

# Field kinds a subject can ask the loader to check (field metadata "kind").
VERSION = "version"  # PEP 440 version, e.g. "12.4.1" or "2.5.1+cu124"
DRIVER = "driver"  # NVIDIA-style dotted integers, e.g. "535.104.05"
CC = "cc"  # compute capability "9.0", "12.0"
SPECIFIER = "specifier"  # PEP 440 specifier set, e.g. ">=2.4,<2.6"
DATE = "date"  # ISO date

_DRIVER_RE = re.compile(r"^\d+(\.\d+){0,3}$")
_CC_RE = re.compile(r"^\d+\.\d+[af]?$")
_URL_RE = re.compile(r"^https?://[^\s/]+\.[^\s/]+(/\S*)?$")


@record(frozen=True)
class Provenance:
    """Where an entry's facts were read and when."""

    source: tuple[str, ...]
    read: str
    note: str | None = None


UNSOURCED = Provenance(source=(), read="")


class ErrorSink:
    """Collects problems of one matrix so they are reported together."""

    def __init__(self, path: str, labels: Sequence[str] = ()) -> None:
        self.path = path
        self.labels = list(labels)
        self.problems: list[str] = []
        self.fields: list[str] = []  # where each problem is, inside the file: "entry 0 (12.4.0): source"

    def add(self, entry: int | None, field: str | None, message: str) -> None:
        inside = []
        if entry is not None:
            label = self.labels[entry] if entry < len(self.labels) and self.labels[entry] else ""
            inside.append(f"entry {entry}" + (f" ({label})" if label else ""))
        where = [self.path, *inside, *([f"field '{field}'"] if field else [])]
        self.problems.append(": ".join(where) + f": {message}")
        self.fields.append(": ".join([*inside, *([field] if field else [])]))

    def error(self) -> MatrixError:
        """The problems as one error naming the file (and the field, when there is one problem)."""
        field = (self.fields[0] or None) if len(self.fields) == 1 else None
        return MatrixError(self.problems, file=self.path, field=field)


@record(frozen=True)
class MatrixSpec(Generic[E]):
    """What a subject module declares about its matrix."""

    name: str
    entry_type: type
    key: Callable[[Any], str]
    check: Callable[[list[Any], ErrorSink], None] | None = None
    description: str = ""
    # Other matrices whose entries complete this one's when it is loaded (``join`` gets them by name): facts
    # written by another tool keep their own file, sources and read dates, and readers still see one entry.
    joins: tuple[str, ...] = ()
    join: Callable[[list[Any], dict[str, list[Any]]], list[Any]] | None = None


@record(frozen=True)
class Matrix(Generic[E]):
    """A loaded, validated matrix."""

    name: str
    version: int
    updated: str
    description: str
    path: str
    entries: list[E]


def driver_key(version: str) -> tuple[int, ...]:
    """Order NVIDIA-style driver versions ("535.104.05") numerically."""
    if not _DRIVER_RE.match(version.strip()):
        raise ValueError(f"not a driver version: {version!r}")
    return tuple(int(p) for p in version.strip().split("."))


def cc_key(cc: str) -> tuple[int, int]:
    """Order compute capabilities ("8.6", "9.0a") numerically, ignoring suffixes."""
    m = re.match(r"^(\d+)\.(\d+)", cc.strip())
    if not m:
        raise ValueError(f"not a compute capability: {cc!r}")
    return int(m.group(1)), int(m.group(2))


def _check_kind(kind: str, value: str) -> str | None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet  # checking a matrix file, not reading one

    try:
        if kind == VERSION:
            Version(value)
        elif kind == DRIVER:
            driver_key(value)
        elif kind == CC:
            if not _CC_RE.match(value):
                return f"not a compute capability like '9.0': {value!r}"
        elif kind == SPECIFIER:
            SpecifierSet(value)
        elif kind == DATE:
            _dt.date.fromisoformat(value)
    except (InvalidVersion, InvalidSpecifier, ValueError) as exc:
        return str(exc) or f"invalid {kind}: {value!r}"
    return None


def _iter_kinded(entry: Any) -> list[tuple[str, str, str]]:
    """(field path, kind, value) for every string field with a declared kind."""
    out: list[tuple[str, str, str]] = []
    for f in dataclasses.fields(entry):
        value = getattr(entry, f.name)
        kind = f.metadata.get("kind")
        values = value if isinstance(value, (list, tuple)) else [value]
        for i, v in enumerate(values):
            suffix = f"[{i}]" if isinstance(value, (list, tuple)) else ""
            if kind and isinstance(v, str):
                out.append((f.name + suffix, kind, v))
            elif dataclasses.is_dataclass(v) and not isinstance(v, type):
                out.extend((f"{f.name}{suffix}.{p}", k, x) for p, k, x in _iter_kinded(v))
    return out


def _date_text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, _dt.date) else value


def parse_matrix(spec: MatrixSpec, raw: Any, path: str, check_kinds: bool = True) -> Matrix:
    """Validate a parsed YAML document against ``spec``; raise MatrixError with every problem."""
    sink = ErrorSink(path)
    if not isinstance(raw, dict):
        raise MatrixError([f"{path}: the file must be a mapping with a header and 'entries'"], file=path)
    allowed = {"schema", "name", "version", "updated", "description", "entries"}
    for key in sorted(set(raw) - allowed):
        sink.add(None, key, f"unknown header field (expected one of: {', '.join(sorted(allowed))})")
    if raw.get("schema") != FORMAT_VERSION:
        sink.add(None, "schema", f"must be {FORMAT_VERSION}, got {raw.get('schema')!r}")
    if raw.get("name") != spec.name:
        sink.add(None, "name", f"must be {spec.name!r} (the file's subject), got {raw.get('name')!r}")
    if not isinstance(raw.get("version"), int) or isinstance(raw.get("version"), bool):
        sink.add(None, "version", "must be an integer")
    updated = _date_text(raw.get("updated"))
    if not isinstance(updated, str) or _check_kind(DATE, updated):
        sink.add(None, "updated", "must be an ISO date (YYYY-MM-DD)")
    items = raw.get("entries")
    if not isinstance(items, list) or not items:
        sink.add(None, "entries", "must be a non-empty list")
        raise sink.error()

    entries: list[Any] = []
    sink.labels = [_raw_label(spec, item) for item in items]
    for i, item in enumerate(items):
        entry = _parse_entry(spec, item, i, sink, check_kinds)
        if entry is not None:
            entries.append(entry)
    if sink.problems:
        raise sink.error()
    sink.labels = [_label(spec, e) for e in entries]
    _check_unique_keys(entries, sink)
    if spec.check is not None:
        spec.check(entries, sink)
    if sink.problems:
        raise sink.error()
    return Matrix(
        name=spec.name,
        version=raw["version"],
        updated=updated,
        description=str(raw.get("description") or spec.description),
        path=path,
        entries=entries,
    )


def parse_trusted(spec: MatrixSpec, raw: dict, path: str) -> Matrix:
    """Build a matrix from a compiled twin: the same objects as ``parse_matrix``, without re-checking.

    The twin was written only after its YAML passed every check (``compile``) and
    is used only while its hash matches that YAML's bytes, so the subject checks,
    kind checks and key uniqueness would find nothing: skipping them is most of
    the cost of loading a matrix at every doctor run. A shape error still raises.
    """
    convert = converter(spec.entry_type)
    entries = []
    try:
        for item in raw["entries"]:
            data = dict(item)
            source = data.pop("source")
            data["provenance"] = {"source": [source] if isinstance(source, str) else source,
                                  "read": data.pop("read"), "note": data.pop("note", None)}
            entries.append(convert(data, spec.name))
    except (KeyError, TypeError, SchemaError) as exc:
        raise MatrixError([(f"{path}: compiled twin does not fit the code ({exc}); "
                           "run python -m accelctl.matrices.compile")], file=path) from None
    return Matrix(name=spec.name, version=raw["version"], updated=str(raw["updated"]),
                  description=str(raw.get("description") or spec.description), path=path, entries=entries)


def _parse_entry(spec: MatrixSpec, item: Any, i: int, sink: ErrorSink, check_kinds: bool = True) -> Any | None:
    if not isinstance(item, dict):
        sink.add(i, None, "an entry must be a mapping")
        return None
    data = {k: _date_text(v) for k, v in item.items()}
    prov = _provenance(data, i, sink)
    for k in ("source", "read", "note"):
        data.pop(k, None)
    try:
        entry: Any = from_data(spec.entry_type, data, skip=("provenance",))
    except SchemaError as exc:
        sink.add(i, exc.path or None, exc.message)
        return None
    if prov is not None:
        entry = dataclasses.replace(entry, provenance=prov)
    for field_path, kind, value in (_iter_kinded(entry) if check_kinds else ()):
        problem = _check_kind(kind, value)
        if problem:
            sink.add(i, field_path, problem)
    return entry


def _provenance(data: dict, i: int, sink: ErrorSink) -> Provenance | None:
    source: str | list[str] | None = data.get("source")
    sources = [source] if isinstance(source, str) else source
    ok = True
    if not sources or not isinstance(sources, list) or not all(isinstance(s, str) and s.strip() for s in sources):
        sink.add(i, "source", "every entry needs a source: a URL or a list of URLs")
        ok = False
    else:
        # A source is something a reader can open again: a web address (a repository file at its commit), not a
        # path on the machine that read it.
        for s in sources:
            if not _URL_RE.match(s.strip()):
                sink.add(i, "source", f"not an http(s) URL: {s!r}")
                ok = False
    read = data.get("read")
    if not isinstance(read, str) or _check_kind(DATE, read):
        sink.add(i, "read", "every entry needs 'read': the ISO date its source was read")
        ok = False
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        sink.add(i, "note", "must be text")
        ok = False
    if not ok:
        return None
    return Provenance(source=tuple(sources), read=read, note=note)  # type: ignore[arg-type]


def _check_unique_keys(entries: list[Any], sink: ErrorSink) -> None:
    """Every entry's key (what layering merges on) must be unique within a file."""
    first: dict = {}
    for i, label in enumerate(sink.labels):
        if not label:
            continue
        if label in first:
            sink.add(i, None, f"duplicate entry: the same key as entry {first[label]}")
        else:
            first[label] = i


def _raw_label(spec: MatrixSpec, item: Any) -> str:
    """A label for an entry that may not parse (its key fields read straight from the YAML)."""
    import types

    if not isinstance(item, dict):
        return ""
    return _label(spec, types.SimpleNamespace(**{str(k): v for k, v in item.items()}))


def _label(spec: MatrixSpec, entry: Any) -> str:
    try:
        return str(spec.key(entry))
    except Exception:  # noqa: BLE001 - a label is a courtesy; never fail validation on it
        return ""


def parse_yaml(data: bytes) -> Any:
    """Parse YAML with the C loader when available (several times faster)."""
    import yaml  # type: ignore[import-untyped]

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(data, Loader=loader)


def parse_user_yaml(data: bytes) -> Any:
    """Parse a YAML file a user gives (an overlay): no aliases, no duplicate keys.

    Aliases are refused because a few hundred bytes of nested aliases expand to
    gigabytes (the "billion laughs"); a matrix never needs them. A key given twice
    is refused because YAML keeps the last one silently, so half of what the user
    wrote would be dropped.
    """
    import yaml  # type: ignore[import-untyped]

    class StrictLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.MarkedYAMLError(problem=f"an alias (*{event.anchor}): aliases are not allowed in a matrix",
                                           problem_mark=event.start_mark)
            return super().compose_node(parent, index)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[str] = set()
            for key_node, _ in node.value if isinstance(node, yaml.MappingNode) else ():
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key in seen:
                    raise yaml.MarkedYAMLError(problem=f"key {key!r} appears twice in one mapping",
                                               problem_mark=key_node.start_mark)
                if key is not None:
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return yaml.load(data, Loader=StrictLoader)


def yaml_problem(exc: Exception) -> tuple[str, str | None]:
    """(what is wrong, "line L column C" where the parser saw it) for a YAML parser error."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
    if mark is None:
        return problem, None
    return problem, f"line {mark.line + 1} column {mark.column + 1}"


def read_yaml(path: Path) -> Any:
    with open(path, "rb") as fh:
        return parse_yaml(fh.read())
