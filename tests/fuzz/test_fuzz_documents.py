"""Fuzzing the readers of user documents: snapshots, fleet specs, matrix overlays, image JSON and layers."""

from __future__ import annotations

import dataclasses
import io
import json
import tarfile
import typing

from hypothesis import example, given
from hypothesis import strategies as st

from accelctl.bounded import InputFileError, loads_json, loads_yaml
from accelctl.gate.fleet import FleetError, NodeClass, parse_fleet
from accelctl.gate.image import ImageError, ImageReadStats, _Layering, _layers_and_config, image_env
from accelctl.inventory import Inventory, SnapshotError, inventory_from_data, load_snapshot
from accelctl.matrices import MatrixError, load_file, spec
from tests.fuzz.strategies import BUDGET, json_values, objects_with_keys
from tests.hostile import ALIAS_BOMB, DEEP_JSON


def _dataclass_of(tp: typing.Any) -> typing.Any:
    """The dataclass inside ``tp`` (itself, list[...] of it, or Optional of it), else None."""
    for candidate in (tp, *typing.get_args(tp)):
        if dataclasses.is_dataclass(candidate):
            return candidate
    return None


def shaped_like(cls: typing.Any, depth: int = 2) -> st.SearchStrategy:
    """Objects with ``cls``'s field names whose values are sometimes right-shaped sections, sometimes anything."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, st.SearchStrategy] = {}
    for f in dataclasses.fields(cls):
        inner = _dataclass_of(hints[f.name])
        value = json_values
        if inner is not None and depth > 0:
            section = shaped_like(inner, depth - 1)
            value = section | st.lists(section, max_size=3) | json_values
        fields[f.name] = value
    return st.fixed_dictionaries({}, optional=fields)


snapshots = shaped_like(Inventory).map(lambda d: {**d, "schema_version": 1}) | objects_with_keys(["schema_version"])


@BUDGET
@given(snapshots)
@example({"schema_version": 1, "python": [{"interpreter": "/x", "distributions": [{"name": "a", "version": ["1"]}]}]})
@example({"schema_version": 1, "env": {"A": 1}})
@example({"schema_version": True})
def test_snapshot_data_loads_or_is_a_snapshot_error(data):
    try:
        inventory = inventory_from_data(data, "node.json")
    except SnapshotError as exc:
        assert str(exc).startswith("node.json")
        return
    # What loads can be written and read back: a snapshot never becomes unreadable by a round trip.
    assert inventory_from_data(json.loads(inventory.to_json()), "again").to_data() == inventory.to_data()


@BUDGET
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode) | json_values.map(lambda v: json.dumps(v).encode()))
@example(DEEP_JSON.encode())
@example(b'{"schema_version": ' + b"1" * 5000 + b"}")
@example(b"\xef\xbb\xbf{}")
def test_snapshot_files_load_or_are_a_snapshot_error(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("snap") / "node.json"
    path.write_bytes(raw)
    try:
        load_snapshot(str(path))
    except SnapshotError as exc:
        assert str(path) in str(exc)


@BUDGET
@given(st.text(max_size=300))
@example(ALIAS_BOMB)
@example("a: &x 1\nb: *x\n")
@example("[" * 50 + "]" * 50)
@example("? [a, b]\n: 1\n")
@example("!!binary AAAA")
@example("a: 2001-12-14\n")
@example("\x1f")  # found by this suite: the reader refused the character before parsing began
def test_yaml_text_parses_or_is_an_input_error(text):
    try:
        loads_yaml(text, "fleet.yaml")
    except InputFileError as exc:
        assert str(exc).startswith("fleet.yaml: ")


fleet_docs = st.fixed_dictionaries(
    {"fleet": st.just(1) | json_values},
    optional={"name": json_values, "classes": st.lists(shaped_like(NodeClass), max_size=4) | json_values},
)


@BUDGET
@given(fleet_docs | json_values)
@example({"fleet": 1, "classes": [{"name": "a", "vendor": "nvidia", "compute_capability": "nine", "driver": "x"}]})
@example({"fleet": 1, "classes": [{"name": "a", "vendor": "cpu", "count": -1}]})
@example({"fleet": 1, "classes": [{"name": 5}]})
def test_fleet_specs_parse_or_are_a_fleet_error(raw):
    try:
        parse_fleet(raw, "fleet.yaml")
    except FleetError as exc:
        assert str(exc).startswith("fleet.yaml: ")


@BUDGET
@given(st.sampled_from(["cuda_toolkit", "nvidia_gpus", "pytorch"]),
       st.text(max_size=300) | json_values.map(lambda v: json.dumps({"schema": 1, "entries": v})))
@example("cuda_toolkit", "schema: 2\nentries: []\n")
@example("cuda_toolkit", "entries: [{}]\n")
@example("pytorch", "a: [" * 60 + "]" * 60)
def test_matrix_overlays_parse_or_are_a_matrix_error(tmp_path_factory, name, text):
    """Parsing only: how a broken overlay reaches the doctor is another part's concern."""
    path = tmp_path_factory.mktemp("overlay") / f"{name}.yaml"
    path.write_text(text)
    try:
        load_file(spec(name), path)
    except MatrixError as exc:
        assert any(str(path) in p for p in exc.problems)


DIGEST = "sha256:" + "a" * 64
descriptor = st.fixed_dictionaries({}, optional={"digest": st.just(DIGEST) | json_values, "mediaType": json_values,
                                                 "platform": json_values, "annotations": json_values})
image_docs = st.fixed_dictionaries({}, optional={
    "manifests": st.lists(descriptor, max_size=3) | json_values, "layers": st.lists(descriptor, max_size=3) | json_values,
    "config": descriptor | json_values, "Config": json_values, "Layers": json_values, "RepoTags": json_values,
})


@BUDGET
@given(st.dictionaries(st.sampled_from(["manifest.json", "index.json", "blobs/sha256/" + "a" * 64, "c.json"]),
                       (image_docs | st.lists(image_docs, max_size=2) | json_values).map(lambda v: json.dumps(v).encode())
                       | st.binary(max_size=50), max_size=4))
@example({"manifest.json": b'[{"Config": 5, "Layers": []}]'})
@example({"index.json": b'{"manifests": [{"digest": "sha256:' + b"a" * 64 + b'"}]}', "blobs/sha256/" + "a" * 64: b"[]"})
@example({"index.json": b'{"manifests": {"a": 1}}'})
def test_image_documents_are_read_or_are_an_image_error(files):
    def opener(name: str) -> typing.IO[bytes]:
        if name not in files:
            raise KeyError(name)
        return io.BytesIO(files[name])

    try:
        layers, config, ref = _layers_and_config(opener, "img.tar")
    except ImageError as exc:
        assert str(exc).startswith("img.tar")
        return
    assert all(isinstance(x, str) for x in layers) and isinstance(config, dict) and isinstance(ref, str)
    image_env(config)


@BUDGET
@given(json_values.filter(lambda v: isinstance(v, dict)) | st.just({"config": {"Env": [1, "A=b", None]}}))
def test_image_env_takes_any_config(config):
    env = image_env(config)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())


def _tar_of(members: list[tuple[str, bytes, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = data.decode("latin-1")
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return buf.getvalue()


member_names = st.sampled_from(["etc/os-release", "a/b", "../x", "/abs", "a/.wh.b", "a/.wh..wh..opq", "a", ".",
                                "usr/lib/python3/dist-packages/x-1.dist-info/METADATA"]) | st.text(min_size=1, max_size=20)
members = st.lists(st.tuples(member_names, st.sampled_from([tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE,
                                                             tarfile.LNKTYPE, tarfile.FIFOTYPE]),
                             st.binary(max_size=40)), max_size=6)


@BUDGET
@given(members.map(_tar_of) | st.binary(max_size=600))
@example(b"\x1f\x8b" + b"\0" * 20)
@example(_tar_of([("etc/os-release", tarfile.SYMTYPE, b"\x00\x80")]))  # found by this suite: a NUL in a link target
def test_layers_apply_or_are_an_image_error(tmp_path_factory, blob):
    root = tmp_path_factory.mktemp("layer")
    try:
        _Layering(str(root), ImageReadStats()).apply(io.BytesIO(blob), "img.tar: layer x")
    except ImageError as exc:
        assert str(exc).startswith("img.tar")
    for path in root.rglob("*"):  # nothing outside the folder, whatever the layer says
        assert str(path.resolve(strict=False)).startswith(str(root.resolve())) or path.is_symlink()


@BUDGET
@given(json_values.map(json.dumps))
def test_bounded_json_agrees_with_json_where_within_limits(text):
    assert loads_json(text, "x") == json.loads(text)


def test_the_suite_runs_under_the_address_space_limit():
    from tests.fuzz.conftest import limit_in_force

    assert limit_in_force()


yaml_scalars = st.sampled_from(["2001-12-14", "2001-12-14t21:59:43.10-05:00", "!!binary AAAA", ".inf", ".nan", "~", "yes",
                                "0x1F", "0o17", "1_000", "!!set {a}", "[1, 2]", "{a: 1}", "'550.54.15'", "550.54",
                                "9.0", "\"nine\"", "!!str 12", "!!float 1", "|\n      text", "? a"]) | st.text(max_size=10)
fleet_fields = st.sampled_from(["name", "vendor", "gpu", "compute_capability", "gfx_target", "driver", "cuda_driver",
                                "rocm", "oneapi", "os", "count", "snapshot", "description", "required", "fleet"])


@BUDGET
@given(st.lists(st.tuples(fleet_fields, yaml_scalars), max_size=6), yaml_scalars)
@example([("name", "a"), ("vendor", "cpu"), ("count", ".inf")], "1")
@example([("name", "2001-12-14"), ("vendor", "cpu")], "1")
def test_fleet_yaml_text_reads_or_is_an_error_naming_the_file(fields, fleet):
    text = f"fleet: {fleet}\nclasses:\n  - " + "\n    ".join(f"{k}: {v}" for k, v in fields) + "\n"
    try:
        parse_fleet(loads_yaml(text, "fleet.yaml"), "fleet.yaml")
    except (InputFileError, FleetError) as exc:
        assert str(exc).startswith("fleet.yaml")
