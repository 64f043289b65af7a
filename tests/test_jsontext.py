"""The fast JSON writer gives exactly json.dumps(indent=2), on real reports and on the awkward cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelctl.jsontext import dumps_indent2

NODE_REPORTS = sorted((Path(__file__).resolve().parents[2] / "bench").glob("node-*/doctor.json"))


@pytest.mark.parametrize("path", NODE_REPORTS, ids=lambda p: str(p.parent.name))
def test_same_text_as_json_dumps_on_real_reports(path):
    data = json.loads(path.read_text())
    assert dumps_indent2(data) == json.dumps(data, indent=2)


@pytest.mark.parametrize("value", [
    {}, [], "", 0, -7, 2 ** 70, 1.5, 1e-300, float("nan"), float("inf"), -float("inf"), True, False, None,
    {"a": [], "b": {}, "c": [[], [{}]], "d": (1, 2)},
    {"ünïcode ✓": "tab\t quote\" backslash\\ nul\x00 emoji 🎉 and \u2028"},
    [{"x": [1, [2, [3, {"y": None}]]]}],
])
def test_same_text_as_json_dumps_on_edge_values(value):
    assert dumps_indent2(value) == json.dumps(value, indent=2)


def test_values_json_handles_differently_fall_back_to_it():
    class Sub(str):
        pass

    for value in ({1: "int key"}, {"a": {None: 1}}, [Sub("x")], {"t": {True: 1.0}}):
        assert dumps_indent2(value) == json.dumps(value, indent=2)
    with pytest.raises(TypeError):
        dumps_indent2({"bad": object()})
