"""Reading outside input within bounds: regular files only, size caps, JSON and YAML limits, errors naming the file."""

from __future__ import annotations

import os
import time

import pytest

from accelctl.bounded import InputFileError, load_json_file, loads_json, loads_yaml, read_regular
from accelctl.inventory import SnapshotError
from tests.hostile import ALIAS_BOMB, DEEP_JSON, HUGE_INT_JSON


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "node.json"
    os.mkfifo(fifo)
    start = time.monotonic()
    with pytest.raises(InputFileError, match=r"node\.json: not a regular file \(a FIFO\)"):
        read_regular(str(fifo), 1 << 20, "snapshot")
    assert time.monotonic() - start < 1.0


@pytest.mark.parametrize("path, kind", [("/dev/zero", "a device"), ("/", "a directory")])
def test_devices_and_folders_are_refused(path, kind):
    with pytest.raises(InputFileError, match=f"not a regular file \\({kind}\\)"):
        read_regular(path, 1 << 20)


def test_a_file_over_the_cap_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(10 << 20)  # sparse: large, costs nothing
    with pytest.raises(InputFileError, match=r"big\.json: 10485760 bytes is larger than a snapshot may be"):
        read_regular(str(big), 1 << 20, "snapshot")


def test_an_input_error_is_a_snapshot_error_so_the_cli_exits_2():
    assert issubclass(InputFileError, SnapshotError)


@pytest.mark.parametrize("text, message", [
    (DEEP_JSON, "nested deeper than 64 levels"),
    ("[" * 70 + "]" * 70, "nested deeper than 64 levels"),
    (HUGE_INT_JSON, "an integer of 100000 digits"),
    ('{"a": 1.' + "5" * 5000 + "}", "a number of 5002 characters"),
    ('{"a": "\\ud800"', "truncated JSON"),
    ("\xff", "JSON at line 1 column 1"),
    ("", "truncated JSON"),
])
def test_json_limits_name_the_file(text, message):
    with pytest.raises(InputFileError) as info:
        loads_json(text, "node.json")
    assert str(info.value).startswith("node.json: ") and message in str(info.value)


def test_json_within_limits_is_read():
    assert loads_json(b'{"a": [1, 2.5, "x", null, true, -' + b"9" * 4300 + b"]}", "x")["a"][:3] == [1, 2.5, "x"]
    with pytest.raises(InputFileError, match="not UTF-8"):
        loads_json(b"\xff\xfe", "x")


def test_a_json_file_goes_through_both(tmp_path):
    good = tmp_path / "a.json"
    good.write_text('{"k": [1]}')
    assert load_json_file(str(good), 1024) == {"k": [1]}


def test_a_yaml_alias_bomb_is_refused_at_once():
    start = time.monotonic()
    with pytest.raises(InputFileError, match=r"fleet\.yaml: not valid YAML at line 5 column 4: anchors \(&a\) are not allowed"):
        loads_yaml(ALIAS_BOMB, "fleet.yaml")
    assert time.monotonic() - start < 1.0


@pytest.mark.parametrize("text, message", [
    ("a: *x\n", "line 1 column 4"),  # an alias with no anchor: still refused, not a traceback
    ("a: 1\nb: 2\na: 3\n", "line 3 column 1: duplicate key 'a'"),
    ("classes:\n  - {name: x, name: y}\n", "duplicate key 'name'"),
    ("a: [" * 40 + "]" * 40, "nested deeper than 32 levels"),
    ("a: !!python/object:os.system {}\n", "not valid YAML"),
    ("a: b: c\n", "not valid YAML at line 1"),
    ("<<: {a: 1}\n", "not valid YAML"),  # merge keys exist for aliases: refused with them
])
def test_yaml_refusals(text, message):
    with pytest.raises(InputFileError) as info:
        loads_yaml(text, "f.yaml")
    assert str(info.value).startswith("f.yaml: ") and message in str(info.value)


def test_plain_yaml_is_read():
    assert loads_yaml("fleet: 1\nclasses:\n  - {name: a, vendor: cpu}\n", "f") == {
        "fleet": 1, "classes": [{"name": "a", "vendor": "cpu"}]}
