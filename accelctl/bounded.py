"""Reading outside input within bounds: regular files only, a size cap, JSON and YAML with structural limits.

Every file a user hands accelctl (a snapshot, a fleet spec, an image's JSON) goes
through here, so a FIFO never blocks a run, ``/dev/zero`` never fills memory, and a
small hostile document (a YAML alias bomb, JSON nested a million deep, an integer of
a million digits) is refused with the file named instead of exhausting the machine.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import stat
from typing import Any

from accelctl.errors import SnapshotError

# O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat that follows refuses it.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
_CHUNK = 1 << 20

MAX_JSON_DEPTH = 64
# CPython's own default (sys.int_info.default_max_str_digits): converting longer digit strings is quadratic.
MAX_INT_DIGITS = 4300
MAX_YAML_DEPTH = 32


class InputFileError(SnapshotError):
    """An input file is unusable (not a regular file, too large, malformed beyond limits); the message names it."""


def open_regular(path: str, what: str = "file") -> int:
    """A file descriptor for ``path``, refused unless it is a regular file (never blocks on a FIFO)."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else \
                "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "special"
            raise InputFileError(f"{path}: not a regular file ({kind}); the {what} must be a plain file")
        # Reads from here on may block normally: a regular file never waits.
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: str, limit: int, what: str = "file") -> bytes:
    """The whole of a regular file of at most ``limit`` bytes; anything else is an InputFileError naming it."""
    fd = open_regular(path, what)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise InputFileError(f"{path}: {size} bytes is larger than a {what} may be ({limit} bytes)")
        parts: list[bytes] = []
        total = 0
        while True:  # read to the end: the file may have grown since fstat
            piece = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not piece:
                break
            parts.append(piece)
            total += len(piece)
            if total > limit:
                raise InputFileError(f"{path}: larger than a {what} may be ({limit} bytes)")
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise InputFileError(f"{path}: not a regular file (a directory)") from None
        raise InputFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    return b"".join(parts)


class _TooManyDigits(ValueError):
    pass


def _bounded_int(text: str) -> int:
    if len(text) - text.startswith("-") > MAX_INT_DIGITS:
        raise _TooManyDigits(f"an integer of {len(text)} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_INT_DIGITS:
        raise _TooManyDigits(f"a number of {len(text)} characters (at most {MAX_INT_DIGITS})")
    return float(text)


def loads_json(data: bytes | str, origin: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """JSON from ``data`` with limits on nesting and number length; InputFileError names ``origin``."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise InputFileError(f"{origin}: not UTF-8 text") from None
    try:
        value = json.loads(text, parse_int=_bounded_int, parse_float=_bounded_float)
    except _TooManyDigits as exc:
        raise InputFileError(f"{origin}: {exc}") from None
    except json.JSONDecodeError as exc:
        what = "malformed" if text.rstrip().endswith(("}", "]")) else "truncated"
        raise InputFileError(f"{origin}: {what} JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InputFileError(f"{origin}: JSON nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # e.g. a lone surrogate the decoder refuses
        raise InputFileError(f"{origin}: not valid JSON: {exc}") from None
    check_depth(value, origin, max_depth)
    return value


def check_depth(value: Any, origin: str, max_depth: int) -> None:
    """Refuse a document nested deeper than ``max_depth`` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            raise InputFileError(f"{origin}: nested deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def load_json_file(path: str, limit: int, what: str = "JSON file", max_depth: int = MAX_JSON_DEPTH) -> Any:
    return loads_json(read_regular(path, limit, what), path, max_depth)


def loads_yaml(data: bytes | str, origin: str, max_depth: int = MAX_YAML_DEPTH) -> Any:
    """YAML written by people (a fleet spec): safe types only, no aliases or anchors, no duplicate keys.

    Aliases are refused outright: a few hundred bytes of nested aliases expand to
    gigabytes ("billion laughs"), and a fleet spec has no use for them.
    """
    import yaml

    loader = None
    try:
        loader = _strict_loader(yaml)(data)  # the reader checks the characters here already
        loader.max_depth = max_depth
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise InputFileError(f"{origin}: not valid YAML{where}: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise InputFileError(f"{origin}: not valid YAML: {exc}") from None
    except RecursionError:
        raise InputFileError(f"{origin}: YAML nested deeper than {max_depth} levels") from None
    finally:
        if loader is not None:
            loader.dispose()


def load_yaml_file(path: str, limit: int, what: str = "YAML file") -> Any:
    return loads_yaml(read_regular(path, limit, what), path)


@functools.cache
def _strict_loader(yaml: Any) -> Any:
    """The loader class, built when YAML is first read (yaml is not imported before then)."""
    from yaml.composer import ComposerError
    from yaml.constructor import ConstructorError

    class StrictLoader(yaml.SafeLoader):  # type: ignore[misc,name-defined]
        max_depth = MAX_YAML_DEPTH
        _depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent):
                raise ComposerError(None, None, f"aliases (*{event.anchor}) are not allowed", event.start_mark)
            if getattr(event, "anchor", None):
                raise ComposerError(None, None, f"anchors (&{event.anchor}) are not allowed", event.start_mark)
            self._depth += 1
            try:
                if self._depth > self.max_depth:
                    raise ComposerError(None, None, f"nested deeper than {self.max_depth} levels", event.start_mark)
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    key = self.construct_object(key_node, deep=True)
                    try:
                        duplicate = key in seen
                        seen.add(key)
                    except TypeError:
                        continue  # unhashable: the base class reports it
                    if duplicate:
                        raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            return super().construct_mapping(node, deep=deep)

    return StrictLoader
