"""JSON text for reports and snapshots: the bytes ``json.dumps(data, indent=2)`` writes, about twice as fast.

With ``indent`` set, the standard library encodes in pure Python through nested
generators; a doctor report of a node with a few hundred distributions is a
quarter megabyte, which costs several milliseconds of every ``--json`` run.
This writer handles JSON-shaped data (dicts with string keys, lists, tuples,
strings, ints, floats, booleans, None) with the C string escaper and one flat
list of pieces; anything else goes to ``json.dumps`` so the output never differs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any

_INF = float("inf")


class _NotPlain(Exception):
    """A value this writer does not handle: the caller falls back to json.dumps."""


def dumps_indent2(data: Any) -> str:
    """``json.dumps(data, indent=2)``, byte for byte."""
    parts: list[str] = []
    try:
        _write(data, "", parts.append)
    except (_NotPlain, RecursionError):
        return json.dumps(data, indent=2)
    return "".join(parts)


def _float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if value == _INF:
        return "Infinity"
    if value == -_INF:
        return "-Infinity"
    return float.__repr__(value)


def _write(value: Any, pad: str, out: Callable[[str], None]) -> None:
    kind = type(value)
    if kind is str:
        out(encode_basestring_ascii(value))
    elif value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif kind is int:
        out(int.__repr__(value))
    elif kind is float:
        out(_float(value))
    elif kind is dict:
        _container(value.items(), "{", "}", pad, out, keyed=True)
    elif kind is list or kind is tuple:
        _container(value, "[", "]", pad, out, keyed=False)
    else:
        raise _NotPlain


def _container(items: Any, opening: str, closing: str, pad: str, out: Callable[[str], None], keyed: bool) -> None:
    """An object (``keyed``: items are key/value pairs) or an array, one member a line, indented by two."""
    inner = pad + "  "
    separator = ",\n" + inner
    first = True
    for item in items:
        if first:
            out(opening + "\n" + inner)
            first = False
        else:
            out(separator)
        if keyed:
            key, item = item
            if type(key) is not str:
                raise _NotPlain
            out(encode_basestring_ascii(key) + ": ")
        _write(item, inner, out)
    out(opening + closing if first else "\n" + pad + closing)
