"""Hostile input files end in exit 2 naming the file: never a hang, a traceback (exit 3) or unbounded memory."""

from __future__ import annotations

import gzip
import json
import os
import tempfile
import time

import pytest

from tests.builders import H100, TORCH_2_11_CU130_PINS, make_inventory
from tests.conftest import run_cli
from tests.hostile import (
    ALIAS_BOMB,
    DEEP_JSON,
    HUGE_INT_JSON,
    _empty_layer,
    fleet_yaml,
    huge_metadata_image,
    oci_archive,
    oci_folder_with_fifo,
)


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """tempfile's folder for this test alone, to see what an image read leaves behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _fifo(path):
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("make, message", [
    (lambda d: "/dev/zero", "/dev/zero: not a regular file (a device)"),
    (lambda d: _fifo(d / "node.json"), "node.json: not a regular file (a FIFO)"),
    (lambda d: (d / "deep.json").write_text(DEEP_JSON) and d / "deep.json", "deep.json: JSON nested deeper than 64 levels"),
    (lambda d: (d / "int.json").write_text(HUGE_INT_JSON) and d / "int.json", "int.json: an integer of 100000 digits"),
    (lambda d: (d / "nest.json").write_text('{"schema_version": 1, "env": ' + '{"a": ' * 100 + "1" + "}" * 100 + "}")
     and d / "nest.json", "nest.json: nested deeper than 64 levels"),
])
def test_doctor_from_a_hostile_file_exits_2_naming_it(tmp_path, make, message):
    start = time.monotonic()
    code, out, err = run_cli(["doctor", "--from", str(make(tmp_path))])
    assert (code, out) == (2, "")
    assert message in err and "Traceback" not in err
    assert time.monotonic() - start < 5


def _fleet_folder(folder, good=200):
    folder.mkdir()
    clean = make_inventory(driver="580.159.04", gpus=[H100]).to_json()
    for i in range(good):
        (folder / f"node{i:03d}.json").write_text(clean)
    stack = [("torch", "2.11.0+cu130", TORCH_2_11_CU130_PINS)]
    (folder / "old-driver.json").write_text(make_inventory(driver="535.104.05", gpus=[H100], dists=stack).to_json())
    (folder / "deep.json").write_text(DEEP_JSON)
    (folder / "digits.json").write_text(HUGE_INT_JSON)
    (folder / "version-list.json").write_text(json.dumps({"schema_version": [1]}))
    os.mkfifo(folder / "fifo.json")
    os.symlink("/dev/zero", folder / "zero.json")
    return folder


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_fleet_keeps_every_good_node_and_names_each_bad_file(tmp_path, jobs):
    folder = _fleet_folder(tmp_path / "fleet")
    code, out, err = run_cli(["fleet", str(folder), "--json", "--jobs", jobs])
    data = json.loads(out)
    assert data["summary"] == {"ok": 200, "warnings": 0, "errors": 1, "unreadable": 5}
    bad = {n["node"]: n["error"] for n in data["nodes"] if n["verdict"] == "unreadable"}
    assert set(bad) == {"deep", "digits", "version-list", "fifo", "zero"}
    assert "not a regular file (a FIFO)" in bad["fifo"] and "fifo.json" in bad["fifo"]
    assert "schema_version" in bad["version-list"]
    # 4: unreadable snapshots and a node failing --fail-on, both at once (docs/output.md)
    assert code == 4 and err == ""


def test_fleet_exit_codes_say_which_problems_there_are(tmp_path):
    folder = _fleet_folder(tmp_path / "fleet", good=3)
    assert run_cli(["fleet", str(folder), "--fail-on", "never"])[0] == 2  # only unreadable files count
    for name in ("deep", "digits", "version-list", "fifo", "zero"):
        os.unlink(folder / f"{name}.json")
    assert run_cli(["fleet", str(folder)])[0] == 1
    os.unlink(folder / "old-driver.json")
    assert run_cli(["fleet", str(folder)])[0] == 0


def _gate(tmp_path, fleet_text=None, image=None, fleet_path=None):
    if fleet_path is None:
        fleet_path = tmp_path / "fleet.yaml"
        fleet_path.write_text(fleet_text or fleet_yaml())
    if image is None:
        image = oci_archive(tmp_path / "img.tar", [gzip.compress(_empty_layer())])
    return run_cli(["gate", "--fleet", str(fleet_path), "--image", str(image)])


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path):
    start = time.monotonic()
    code, _, err = _gate(tmp_path, ALIAS_BOMB)
    assert code == 2 and "fleet.yaml" in err and "anchors (&a) are not allowed" in err
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("text, message", [
    ("fleet: 1\nclasses:\n  - {name: a, vendor: nvidia, compute_capability: nine, driver: '550.54.15'}\n",
     "classes[0] (a): field 'compute_capability': 'nine' is not major.minor"),
    ("fleet: 1\nclasses:\n  - {name: a, vendor: nvidia, gpu: H100, driver: 'latest!!'}\n",
     "classes[0] (a): field 'driver': 'latest!!' is not an NVIDIA driver version"),
    ("fleet: 1\nclasses:\n  - {name: a, vendor: amd, gfx_target: gfx9x, rocm: six}\n",
     "field 'gfx_target': 'gfx9x' is not an AMD gfx target"),
    ("fleet: 1\nclasses:\n  - {name: a, vendor: amd, gpu: MI300X, rocm: six}\n", "field 'rocm': 'six'"),
    ("fleet: 1\nclasses:\n  - {name: a, vendor: nvidia, gpu: H100, driver: '550.54.15', cuda_driver: 12}\n",
     "field 'classes[0].cuda_driver'"),
    ("fleet: 1\nclasses:\n  - {name: a, vendor: cpu, count: 0}\n", "field 'count': 0 is not a positive"),
    ("fleet: 1\nfleet: 1\nclasses:\n  - {name: a, vendor: cpu}\n", "line 2 column 1: duplicate key 'fleet'"),
    ("fleet: 1\nclasses:\n  - name: a\n    vendor: cpu\n    vendor: nvidia\n", "duplicate key 'vendor'"),
])
def test_fleet_spec_values_are_validated(tmp_path, text, message):
    code, _, err = _gate(tmp_path, text)
    assert code == 2 and "fleet.yaml" in err and message in err, err


def test_a_fifo_fleet_spec_or_class_snapshot_is_refused(tmp_path):
    code, _, err = _gate(tmp_path, fleet_path=_fifo(tmp_path / "fifo.yaml"))
    assert code == 2 and "fifo.yaml: not a regular file (a FIFO)" in err
    _fifo(tmp_path / "lab.json")
    code, _, err = _gate(tmp_path, fleet_yaml(snapshot="lab.json"))
    assert code == 2 and "lab.json: not a regular file (a FIFO)" in err


@pytest.mark.parametrize("which", ["index.json", "blob"])
def test_a_fifo_in_an_oci_layout_is_refused(tmp_path, private_tmp, which):
    layout = oci_folder_with_fifo(tmp_path / "layout", which)
    start = time.monotonic()
    code, _, err = _gate(tmp_path, image=layout)
    assert code == 2 and "not a regular file (a FIFO)" in err and str(layout) in err
    assert time.monotonic() - start < 5
    assert os.listdir(private_tmp) == []


def test_a_fifo_image_archive_is_refused(tmp_path):
    code, _, err = _gate(tmp_path, image=_fifo(tmp_path / "img.tar"))
    assert code == 2 and "img.tar: not a regular file (a FIFO)" in err


LAYER = gzip.compress(_empty_layer())
GOOD_CONFIG = json.dumps({"config": {"Env": ["PATH=/usr/bin"]}}).encode()


@pytest.mark.parametrize("config, manifest, message", [
    (b"[1, 2]", None, "must be an object, got list"),
    (b'"text"', None, "must be an object, got str"),
    (json.dumps({"config": {"Env": "PATH=/bin"}}).encode(), None, None),  # odd Env: no environment, still read
    (json.dumps({"config": [1]}).encode(), None, None),
    (GOOD_CONFIG, b'{"layers": "abc", "config": {}}', "layers' must be a list, got str"),
    (GOOD_CONFIG, b'{"layers": [7], "config": {}}', "layers[0]' must be an object, got int"),
    (GOOD_CONFIG, b'{"layers": [], "config": "x"}', "config' must be an object, got str"),
    (GOOD_CONFIG, b'{"layers": [], "config": {"digest": 5}}', "bad blob digest 5"),
    (GOOD_CONFIG, b'{"manifests": [1, "x"]}', "index has no usable manifest"),
    (GOOD_CONFIG, b'{"manifests": [{"platform": 3}]}', "bad blob digest ''"),
    (GOOD_CONFIG, b'{"manifests": "x"}', "manifests' must be a list"),
    (GOOD_CONFIG, b"[" * 100 + b"]" * 100, "nested deeper than 64 levels"),
    (GOOD_CONFIG, b'{"n": ' + b"1" * 5000 + b"}", "an integer of 5000 digits"),
])
def test_image_documents_of_the_wrong_shape_exit_2_and_leave_nothing(tmp_path, private_tmp, config, manifest, message):
    image = oci_archive(tmp_path / "img.tar", [LAYER], config=config, manifest=manifest)
    code, _, err = _gate(tmp_path, image=image)
    if message is None:
        assert code == 0, err
    else:
        assert code == 2 and "img.tar" in err and message in err, err
    assert os.listdir(private_tmp) == []


@pytest.mark.parametrize("manifest, message", [
    ([{"Config": 5, "Layers": []}], "field 'manifest.json[0].Config' must be a string, got int"),
    ([{"Config": "c.json", "Layers": [None]}], "field 'manifest.json[0].Layers[0]' must be a string"),
    ([7], "field 'manifest.json[0]' must be an object"),
    ({"a": 1}, "manifest.json is not a non-empty list of images"),
])
def test_docker_save_manifests_of_the_wrong_shape_exit_2(tmp_path, private_tmp, manifest, message):
    import io
    import tarfile

    path = tmp_path / "save.tar"
    with tarfile.open(path, "w") as tar:
        for name, data in (("manifest.json", json.dumps(manifest).encode()), ("c.json", GOOD_CONFIG)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    code, _, err = _gate(tmp_path, image=path)
    assert code == 2 and "save.tar" in err and message in err, err
    assert os.listdir(private_tmp) == []


def test_a_huge_member_in_a_small_archive_is_streamed_and_capped(tmp_path, private_tmp):
    from accelctl.gate.image import MAX_WHOLE_BYTES, unpack_image

    image = huge_metadata_image(tmp_path / "img.tar", size=MAX_WHOLE_BYTES + (8 << 20))
    assert image.stat().st_size < 1 << 20
    with unpack_image(str(image)) as unpacked:
        meta = "opt/venv/lib/python3.10/site-packages/big-1.0.dist-info/METADATA"
        assert os.path.getsize(os.path.join(unpacked.root, meta)) == MAX_WHOLE_BYTES
        assert unpacked.stats.truncated == [meta]
    assert os.listdir(private_tmp) == []


def test_plan_requirements_from_a_fifo_or_a_device_exit_2(tmp_path):
    for path, message in ((_fifo(tmp_path / "req.txt"), "req.txt: not a regular file (a FIFO)"),
                          ("/dev/zero", "/dev/zero: not a regular file (a device)")):
        code, _, err = run_cli(["plan", "-r", str(path), "--driver", "550.54.15", "--gpu", "NVIDIA H100 80GB HBM3"])
        assert code == 2 and message in err
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"torch\xff\n")
    code, _, err = run_cli(["plan", "-r", str(binary), "--driver", "550.54.15", "--gpu", "NVIDIA H100 80GB HBM3"])
    assert code == 2 and "bin.txt: not UTF-8 text" in err


def test_a_worker_that_dies_costs_its_nodes_not_the_report(tmp_path, monkeypatch):
    from accelctl import fleet_check

    folder = _fleet_folder(tmp_path / "fleet", good=40)
    real = fleet_check._worker_check

    def dies_on_node007(paths):  # as a worker killed for memory on one node would
        if any(p.endswith("node007.json") for p in paths):
            os._exit(1)
        return real(paths)

    monkeypatch.setattr(fleet_check, "_worker_check", dies_on_node007)  # forked workers inherit it
    code, out, _ = run_cli(["fleet", str(folder), "--json", "--jobs", "2"])
    data = json.loads(out)
    failed = [n for n in data["nodes"] if "the worker failed" in (n["error"] or "")]
    assert any(n["node"] == "node007" for n in failed)
    assert len(data["nodes"]) == 46 and code in (2, 4)  # nodes lost with the pool are bad nodes, named


def test_an_archive_with_far_more_entries_than_an_image_is_refused(tmp_path, private_tmp, monkeypatch):
    import io
    import tarfile

    from accelctl.gate import image

    monkeypatch.setattr(image, "MAX_ARCHIVE_MEMBERS", 50)  # the real cap, 100,000, takes a 50 MB archive to pass
    path = tmp_path / "many.tar"
    with tarfile.open(path, "w") as tar:
        for i in range(60):
            tar.addfile(tarfile.TarInfo(f"x{i}"), io.BytesIO(b""))
    code, _, err = _gate(tmp_path, image=path)
    assert code == 2 and "many.tar: more than 50 entries; not an image archive" in err
    assert os.listdir(private_tmp) == []


def _within(seconds, fn):
    """``fn()``'s outcome (value or exception), or a failure when it blocks longer than ``seconds``."""
    import threading

    outcome = {}

    def run():
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"blocked for more than {seconds} s"
    return outcome


@pytest.mark.parametrize("make, message", [
    (lambda d: _fifo(d / "cuda_toolkit.yaml"), "not a regular file (a FIFO)"),
    (lambda d: "/dev/zero", "not a regular file (a device)"),
])
def test_a_matrix_overlay_that_is_no_regular_file_is_refused_not_read(tmp_path, make, message):
    from pathlib import Path

    from accelctl.matrices import MAX_OVERLAY_BYTES, MatrixError, load_file, spec

    outcome = _within(5, lambda: load_file(spec("cuda_toolkit"), Path(make(tmp_path)), max_bytes=MAX_OVERLAY_BYTES))
    assert isinstance(outcome.get("error"), MatrixError) and message in str(outcome["error"])
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    _fifo(overlay / "cuda_toolkit.yaml")
    code, out, err = run_cli(["doctor", "--matrices", str(overlay), "--from", str(_snapshot(tmp_path))])
    assert (code, out) == (2, "") and "cuda_toolkit.yaml: not a regular file" in err


def _snapshot(folder):
    path = folder / "node.json"
    path.write_text(make_inventory(driver="580.159.04").to_json())
    return path


@pytest.mark.parametrize("make, message", [
    (lambda d: _fifo(d / "image.env"), "image.env: not a regular file (a FIFO)"),
    (lambda d: "/dev/zero", "/dev/zero: not a regular file (a device)"),
])
def test_an_env_file_that_is_no_regular_file_exits_2_naming_it(tmp_path, make, message):
    from accelctl.envfile import environment_from_options
    from accelctl.errors import InputError

    path = str(make(tmp_path))
    outcome = _within(5, lambda: environment_from_options([path]))
    assert isinstance(outcome.get("error"), InputError) and message in str(outcome["error"])
    code, out, err = run_cli(["doctor", "--root", str(tmp_path), "--env", path])
    assert (code, out) == (2, "") and message in err and "Traceback" not in err


def test_an_env_file_is_read_by_the_core_without_the_command_line():
    import subprocess
    import sys

    from tests.conftest import REPO

    code = "import sys, accelctl.envfile; print(sorted(m for m in sys.modules if m.startswith('accelctl.cli')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.stdout.strip() == "[]"
