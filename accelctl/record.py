"""``@record``: a dataclass without generated code, for the many value types read on every run.

``dataclasses.dataclass`` compiles an ``__init__``, ``__repr__`` and ``__eq__``
per class with ``exec``; for the ~60 inventory, finding and probe types that is
~70 ms at every start of ``doctor`` (more on slow nodes). ``record`` keeps the
dataclass metadata (``dataclasses.fields``, ``replace``, ``is_dataclass`` and
typing all work) and attaches shared, generic methods instead. Values are
treated as immutable by convention: code changes them with ``dataclasses.replace``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_: Any) -> Any:
        return lambda function: function

T = TypeVar("T")
_MISSING = dataclasses.MISSING
Spec = list[tuple[str, Any, Any]]  # (name, default, default_factory)


def _spec(cls: type) -> Spec:
    spec = cls.__dict__.get("__record_spec__")
    if spec is None:
        spec = [(f.name, f.default, f.default_factory) for f in dataclasses.fields(cls) if f.init]
        cls.__record_spec__ = spec  # type: ignore[attr-defined]
    return spec


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    spec = _spec(type(self))
    if len(args) > len(spec):
        raise TypeError(f"{type(self).__name__}() takes {len(spec)} positional arguments but {len(args)} were given")
    setter = object.__setattr__
    for (name, _, _), value in zip(spec, args):
        if name in kwargs:
            raise TypeError(f"{type(self).__name__}() got multiple values for argument {name!r}")
        setter(self, name, value)
    for name, default, factory in spec[len(args):]:
        if name in kwargs:
            setter(self, name, kwargs.pop(name))
        elif default is not _MISSING:
            setter(self, name, default)
        elif factory is not _MISSING:
            setter(self, name, factory())
        else:
            raise TypeError(f"{type(self).__name__}() missing required argument {name!r}")
    if kwargs:
        raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {next(iter(kwargs))!r}")


def _values(self: Any) -> tuple:
    return tuple(getattr(self, name) for name, _, _ in _spec(type(self)))


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self) == _values(other)


def _repr(self: Any) -> str:
    inner = ", ".join(f"{name}={getattr(self, name)!r}" for name, _, _ in _spec(type(self)))
    return f"{type(self).__name__}({inner})"


def _hash(self: Any) -> int:
    return hash(_values(self))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


@dataclass_transform(field_specifiers=(dataclasses.field,))
def record(cls: type[T] | None = None, *, frozen: bool = False) -> Any:
    """Make ``cls`` a dataclass with shared (not generated) ``__init__``, ``__eq__`` and ``__repr__``.

    ``@record(frozen=True)`` is the same as ``@dataclass(frozen=True)`` for its
    users: assignment raises ``FrozenInstanceError`` and values hash by their fields.
    """
    def wrap(klass: type[T]) -> type[T]:
        if not klass.__doc__:  # else dataclass builds one from inspect.signature: half its cost per class
            klass.__doc__ = f"{klass.__name__}({', '.join(vars(klass).get('__annotations__', {}))})"
        klass = dataclasses.dataclass(init=False, repr=False, eq=False)(klass)
        klass.__init__ = _init  # type: ignore[misc,method-assign]
        klass.__eq__ = _eq  # type: ignore[assignment]
        klass.__repr__ = _repr  # type: ignore[assignment]
        if frozen:
            klass.__setattr__ = _frozen_setattr  # type: ignore[assignment]
            klass.__delattr__ = _frozen_delattr  # type: ignore[assignment]
            klass.__hash__ = _hash  # type: ignore[assignment]
        else:
            klass.__hash__ = None  # type: ignore[assignment]  # mutable by the letter, like an eq dataclass
        return klass

    return wrap(cls) if cls is not None else wrap
