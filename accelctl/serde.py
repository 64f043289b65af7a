"""Strict conversion between frozen dataclasses and JSON-shaped data.

One small, typed converter serves the inventory, snapshots, findings and the
matrices, so every document is validated the same way: unknown keys, wrong
types and missing fields are errors that name the path of the bad value.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar, Union

T = TypeVar("T")

_HINTS_CACHE: dict[type, dict[str, Any]] = {}


class SchemaError(ValueError):
    """A document does not have the shape its dataclass expects."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def type_hints(cls: type) -> dict[str, Any]:
    """Resolved field annotations of a dataclass, cached (resolving is slow)."""
    hints = _HINTS_CACHE.get(cls)
    if hints is None:
        module = sys.modules.get(cls.__module__)
        hints = typing.get_type_hints(cls, vars(module) if module else None)
        _HINTS_CACHE[cls] = hints
    return hints


_PLAIN = (str, int, float, bool, type(None))
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def to_data(value: Any) -> Any:
    """Turn a dataclass tree into JSON-ready dicts/lists, dropping nothing."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is None and dataclasses.is_dataclass(kind):
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind))
    if names is not None:
        return {name: to_data(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    return value


def from_data(cls: type[T], data: Any, path: str = "", *, skip: tuple[str, ...] = ()) -> T:
    """Build ``cls`` from ``data``, checking every key and type.

    ``skip`` names fields the caller fills itself (they may not appear in data).
    """
    if skip:
        return _convert_dataclass(cls, data, path, skip)
    return _converter(cls)(data, path)


Converter = Callable[[Any, str], Any]
_CONVERTERS: dict[Any, Converter] = {}


def converter(tp: Any) -> Converter:
    """The strict converter ``from_data`` uses for ``tp``: ``convert(data, path)``."""
    return _converter(tp)


def _converter(tp: Any) -> Converter:
    """A converter for ``tp``, built once per type (the type analysis is the slow part).

    Dataclass converters look their fields up when first called, so building
    never recurses, even for types that contain themselves.
    """
    conv = _CONVERTERS.get(tp)
    if conv is None:
        conv = _CONVERTERS[tp] = _build(tp)
    return conv


def _build(tp: Any) -> Converter:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return lambda data, path: data
    if origin is Union or origin is types.UnionType:
        nullable = type(None) in args
        options = [_converter(a) for a in args if a is not type(None)]

        def union(data: Any, path: str) -> Any:
            if data is None and nullable:
                return None
            errors = []
            for option in options:
                try:
                    return option(data, path)
                except SchemaError as exc:
                    errors.append(exc.message)
            raise SchemaError(path, errors[0] if len(errors) == 1 else f"unexpected value {data!r}")

        return union
    if origin is typing.Literal:
        allowed = ", ".join(repr(a) for a in args)

        def literal(data: Any, path: str) -> Any:
            if data not in args:
                raise SchemaError(path, f"must be one of {allowed}, got {data!r}")
            return data

        return literal
    if origin in (list, tuple):
        item = _converter(args[0]) if args else _converter(Any)
        as_tuple = origin is tuple

        plain_str = args[:1] == (str,)

        def sequence(data: Any, path: str) -> Any:
            if not isinstance(data, list):
                raise SchemaError(path, f"expected a list, got {_kind(data)}")
            if plain_str and set(map(type, data)) <= _STR_ONLY:  # the common case, without a call per item
                out = list(data)
            else:
                try:
                    out = [item(v, "") for v in data]
                except SchemaError:
                    out = _locate_item_error(item, data, path)
            return tuple(out) if as_tuple else out

        return sequence
    if origin is dict:
        key_c, val_c = (_converter(args[0]), _converter(args[1])) if args else (_converter(Any), _converter(Any))

        def mapping(data: Any, path: str) -> Any:
            if not isinstance(data, dict):
                raise SchemaError(path, f"expected a mapping, got {_kind(data)}")
            out = {}
            for k, v in data.items():
                try:
                    out[key_c(k, "")] = val_c(v, "")
                except SchemaError as exc:
                    raise SchemaError(_join(f"{path}.{k}" if path else str(k), exc.path), exc.message) from None
            return out

        return mapping
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass_converter(tp)
    if tp is float:
        def number(data: Any, path: str) -> Any:
            if isinstance(data, bool) or not isinstance(data, (int, float)):
                raise SchemaError(path, f"expected a number, got {_kind(data)}")
            return float(data)

        return number
    if tp is int:
        def integer(data: Any, path: str) -> Any:
            if isinstance(data, bool) or not isinstance(data, int):
                raise SchemaError(path, f"expected an integer, got {_kind(data)}")
            return data

        return integer
    if tp in (str, bool):
        what = "a string" if tp is str else "true or false"

        def plain(data: Any, path: str) -> Any:
            if not isinstance(data, tp):
                raise SchemaError(path, f"expected {what}, got {_kind(data)}")
            return data

        return plain
    if tp is type(None):
        def none(data: Any, path: str) -> Any:
            if data is not None:
                raise SchemaError(path, f"expected null, got {_kind(data)}")
            return None

        return none
    raise SchemaError("", f"unsupported field type {tp!r}")


_STR_ONLY = {str}
_NONE = type(None)


def _as_is_types(tp: Any) -> frozenset:
    """Exact JSON types a field of type ``tp`` keeps unchanged (checked inline, without a call).

    Anything else goes through the field's full converter, which converts it or
    raises the error. ``bool`` is never accepted for ``int`` (``type(True) is bool``).
    """
    if tp in (str, int, bool):
        return frozenset((tp,))
    if tp is Any:
        return frozenset()
    if typing.get_origin(tp) in (Union, types.UnionType):
        args = typing.get_args(tp)
        if all(a in (str, int, bool, _NONE) for a in args):
            return frozenset(args)
    return frozenset()


def _dataclass_converter(cls: type) -> Converter:
    """Build ``cls`` objects from mappings; the per-class plan is made on first use (types may nest)."""
    plan: list[Any] = []

    def dataclass(data: Any, path: str) -> Any:
        if not plan:
            plan.append(_plan(cls))
        names, convs, as_is, defaults, factories, required, direct = plan[0]
        if type(data) is not dict:
            raise SchemaError(path, f"expected a mapping, got {_kind(data)}")
        if not names.issuperset(data):
            where = f"{path}." if path else ""
            unknown = sorted((k for k in data if k not in names), key=str)
            raise SchemaError(f"{where}{unknown[0]}", f"unknown field (expected one of: {', '.join(sorted(names))})")
        values = dict(defaults)
        for name, factory in factories:
            if name not in data:
                values[name] = factory()
        name = ""
        try:
            for name, value in data.items():
                if type(value) not in as_is[name]:
                    value = convs[name](value, "")
                values[name] = value
        except SchemaError as exc:
            raise SchemaError(_join(f"{path}.{name}" if path else name, exc.path), exc.message) from None
        if not required.issubset(data):
            missing = next(n for n in required_order(cls) if n not in data)
            raise SchemaError(f"{path}.{missing}" if path else missing, "missing required field")
        if direct:
            obj: Any = object.__new__(cls)
            obj.__dict__.update(values)
            return obj
        return cls(**values)

    return dataclass


def required_order(cls: type) -> list[str]:
    return [name for name, _, required in _fields(cls) if required]


def _plan(cls: type) -> tuple[Any, ...]:
    """What converting one mapping to ``cls`` needs, computed once per class.

    ``direct``: the object can be filled without calling ``__init__`` (a plain
    or frozen dataclass with no ``__post_init__`` and no ``__slots__``): the
    same object ``__init__`` would make, for a fraction of the cost.
    """
    hints = type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if f.init]
    names = frozenset(f.name for f in fields)
    convs = {f.name: _converter(hints[f.name]) for f in fields}
    as_is = {f.name: _as_is_types(hints[f.name]) for f in fields}
    defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
    factories = [(f.name, f.default_factory) for f in fields if f.default_factory is not dataclasses.MISSING]
    required = frozenset(f.name for f in fields
                         if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
    direct = (not hasattr(cls, "__post_init__") and not hasattr(cls, "__slots__")
              and len(fields) == len(dataclasses.fields(cls)))
    return names, convs, as_is, defaults, factories, required, direct


_FIELDS: dict[type, list[tuple[str, Converter, bool]]] = {}


def _fields(cls: type) -> list[tuple[str, Converter, bool]]:
    """(name, converter, required) per init field, computed once per class."""
    cached = _FIELDS.get(cls)
    if cached is None:
        hints = type_hints(cls)
        cached = [(f.name, _converter(hints[f.name]),
                   f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)  # type: ignore[misc]
                  for f in dataclasses.fields(cls) if f.init]
        _FIELDS[cls] = cached
    return cached


def _convert_dataclass(cls: type, data: Any, path: str, skip: tuple[str, ...]) -> Any:
    if not isinstance(data, dict):
        raise SchemaError(path, f"expected a mapping, got {_kind(data)}")
    fields = [f for f in _fields(cls) if f[0] not in skip] if skip else _fields(cls)
    names = {f[0] for f in fields}
    for key in data:
        if key not in names:
            where = f"{path}." if path else ""
            unknown = sorted((k for k in data if k not in names), key=str)
            raise SchemaError(f"{where}{unknown[0]}", f"unknown field (expected one of: {', '.join(sorted(names))})")
    kwargs = {}
    for name, conv, required in fields:
        if name in data:
            try:
                kwargs[name] = conv(data[name], "")
            except SchemaError as exc:
                raise SchemaError(_join(f"{path}.{name}" if path else name, exc.path), exc.message) from None
        elif required:
            raise SchemaError(f"{path}.{name}" if path else name, "missing required field")
    return cls(**kwargs)


def _locate_item_error(item: Converter, data: list, path: str) -> list:
    """Convert again one by one to say which item failed (only on the error path)."""
    for i, v in enumerate(data):
        try:
            item(v, "")
        except SchemaError as exc:
            raise SchemaError(_join(f"{path}[{i}]", exc.path), exc.message) from None
    raise AssertionError("unreachable: an item failed once and not again")


def _join(parent: str, child: str) -> str:
    """Paths are built only when an error unwinds: parent 'a.b' + child '[0].c' -> 'a.b[0].c'."""
    if not child:
        return parent
    return parent + child if child.startswith("[") else f"{parent}.{child}"


def _kind(data: Any) -> str:
    if data is None:
        return "null"
    if isinstance(data, bool):
        return f"boolean {data!r}"
    if isinstance(data, (int, float)):
        return f"number {data!r}"
    if isinstance(data, str):
        return f"string {data!r}"
    if isinstance(data, list):
        return "a list"
    if isinstance(data, dict):
        return "a mapping"
    return type(data).__name__
