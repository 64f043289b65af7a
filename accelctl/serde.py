"""Strict conversion between frozen dataclasses and JSON-shaped data.

One small, typed converter serves the inventory, snapshots, findings and the
matrices, so every document is validated the same way: unknown keys, wrong
types and missing fields are errors that name the path of the bad value.
"""

from __future__ import annotations

import dataclasses
import sys
import typing
from typing import Any, Dict, List, Tuple, Type, TypeVar, Union

T = TypeVar("T")

_HINTS_CACHE: Dict[type, Dict[str, Any]] = {}


class SchemaError(ValueError):
    """A document does not have the shape its dataclass expects."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def type_hints(cls: type) -> Dict[str, Any]:
    """Resolved field annotations of a dataclass, cached (resolving is slow)."""
    hints = _HINTS_CACHE.get(cls)
    if hints is None:
        module = sys.modules.get(cls.__module__)
        hints = typing.get_type_hints(cls, vars(module) if module else None)
        _HINTS_CACHE[cls] = hints
    return hints


def to_data(value: Any) -> Any:
    """Turn a dataclass tree into JSON-ready dicts/lists, dropping nothing."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    return value


def from_data(cls: Type[T], data: Any, path: str = "", *, skip: Tuple[str, ...] = ()) -> T:
    """Build ``cls`` from ``data``, checking every key and type.

    ``skip`` names fields the caller fills itself (they may not appear in data).
    """
    return _convert(cls, data, path, skip)


def _convert(tp: Any, data: Any, path: str, skip: Tuple[str, ...] = ()) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return data
    if origin is Union:
        if data is None and type(None) in args:
            return None
        errors = []
        for option in args:
            if option is type(None):
                continue
            try:
                return _convert(option, data, path)
            except SchemaError as exc:
                errors.append(exc.message)
        raise SchemaError(path, errors[0] if len(errors) == 1 else f"unexpected value {data!r}")
    if origin is typing.Literal:
        if data not in args:
            allowed = ", ".join(repr(a) for a in args)
            raise SchemaError(path, f"must be one of {allowed}, got {data!r}")
        return data
    if origin in (list, List, tuple, Tuple):
        if not isinstance(data, list):
            raise SchemaError(path, f"expected a list, got {_kind(data)}")
        item = args[0] if args else Any
        converted = [_convert(item, v, f"{path}[{i}]") for i, v in enumerate(data)]
        return tuple(converted) if origin in (tuple, Tuple) else converted
    if origin in (dict, Dict):
        if not isinstance(data, dict):
            raise SchemaError(path, f"expected a mapping, got {_kind(data)}")
        key_t, val_t = args if args else (Any, Any)
        return {
            _convert(key_t, k, f"{path}.{k}"): _convert(val_t, v, f"{path}.{k}") for k, v in data.items()
        }
    if dataclasses.is_dataclass(tp):
        return _convert_dataclass(tp, data, path, skip)
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise SchemaError(path, f"expected a number, got {_kind(data)}")
        return float(data)
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise SchemaError(path, f"expected an integer, got {_kind(data)}")
        return data
    if tp in (str, bool):
        if not isinstance(data, tp):
            raise SchemaError(path, f"expected {'a string' if tp is str else 'true or false'}, got {_kind(data)}")
        return data
    if tp is type(None):
        if data is not None:
            raise SchemaError(path, f"expected null, got {_kind(data)}")
        return None
    raise SchemaError(path, f"unsupported field type {tp!r}")


def _convert_dataclass(cls: type, data: Any, path: str, skip: Tuple[str, ...]) -> Any:
    if not isinstance(data, dict):
        raise SchemaError(path, f"expected a mapping, got {_kind(data)}")
    hints = type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init and f.name not in skip}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        where = f"{path}." if path else ""
        raise SchemaError(f"{where}{unknown[0]}", f"unknown field (expected one of: {', '.join(sorted(fields))})")
    kwargs = {}
    for name, f in fields.items():
        sub = f"{path}.{name}" if path else name
        if name in data:
            kwargs[name] = _convert(hints[name], data[name], sub)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:  # type: ignore[misc]
            raise SchemaError(sub, "missing required field")
    return cls(**kwargs)


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
