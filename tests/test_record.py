"""``@record``: dataclass semantics without generated code (start-up cost), frozen or not."""

from __future__ import annotations

import dataclasses
from dataclasses import field

import pytest

from accelctl.record import record


@record(frozen=True)
class Entry:
    name: str
    tags: tuple[str, ...] = ()
    note: str | None = None


@record
class Box:
    items: list[str] = field(default_factory=list)


def test_frozen_record_behaves_like_a_frozen_dataclass():
    e = Entry("a", ("x",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.name = "b"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del e.note
    assert e == Entry("a", ("x",)) and hash(e) == hash(Entry("a", ("x",))) and e != Entry("b")
    assert {e, Entry("a", ("x",))} == {e}
    assert dataclasses.replace(e, note="n") == Entry("a", ("x",), "n")
    assert [f.name for f in dataclasses.fields(Entry)] == ["name", "tags", "note"]
    assert repr(e) == "Entry(name='a', tags=('x',), note=None)"


def test_plain_record_is_mutable_unhashable_with_fresh_defaults():
    a, b = Box(), Box()
    a.items.append("x")
    assert b.items == [] and Box.__hash__ is None
    with pytest.raises(TypeError, match="missing required argument 'name'"):
        Entry()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        Entry("a", bogus=1)  # type: ignore[call-arg]
