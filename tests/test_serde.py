from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from accelctl.serde import SchemaError, from_data, to_data


@dataclass(frozen=True)
class Inner:
    name: str
    size: int | None = None


@dataclass(frozen=True)
class Outer:
    items: list[Inner] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    ratio: float = 0.0
    flag: bool = False


def test_round_trip_keeps_every_value():
    value = Outer([Inner("a", 1), Inner("b")], {"k": "v"}, 1.5, True)
    assert from_data(Outer, to_data(value)) == value


@pytest.mark.parametrize("data, path, message", [
    ({"items": [{"name": 3}]}, "items[0].name", "expected a string, got number 3"),
    ({"items": [{"nom": "x"}]}, "items[0].nom", "unknown field"),
    ({"items": [{}]}, "items[0].name", "missing required field"),
    ({"flag": "yes"}, "flag", "expected true or false"),
    ({"tags": []}, "tags", "expected a mapping"),
    ({"items": [{"name": "a", "size": True}]}, "items[0].size", "expected an integer"),
])
def test_errors_name_the_path(data, path, message):
    with pytest.raises(SchemaError) as info:
        from_data(Outer, data)
    assert info.value.path == path
    assert message in info.value.message


def test_int_is_accepted_where_a_number_is_expected():
    assert from_data(Outer, {"ratio": 2}).ratio == 2.0


@dataclass(frozen=True)
class Checked:
    """__post_init__ must still run: such classes are built through __init__."""

    name: str

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("empty name")


def test_defaults_and_factories_are_fresh_per_object():
    a, b = from_data(Outer, {}), from_data(Outer, {})
    assert a == Outer() and a.items == [] and a.items is not b.items


def test_objects_built_without_init_equal_those_built_with_it():
    data = {"items": [{"name": "a", "size": 2}], "tags": {"x": "y"}, "ratio": 0.5, "flag": True}
    built = from_data(Outer, data)
    assert built == Outer([Inner("a", 2)], {"x": "y"}, 0.5, True)
    assert hash(built.items[0]) == hash(Inner("a", 2))


def test_post_init_runs():
    assert from_data(Checked, {"name": "x"}).name == "x"
    with pytest.raises(ValueError, match="empty name"):
        from_data(Checked, {"name": ""})


def test_the_failing_item_of_a_long_list_is_named():
    data = {"items": [{"name": str(i)} for i in range(50)] + [{"name": None}]}
    with pytest.raises(SchemaError) as info:
        from_data(Outer, data)
    assert info.value.path == "items[50].name"
