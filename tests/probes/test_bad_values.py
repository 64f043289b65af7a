"""A bad value in a file costs that value (an unknown with its reason), never the section or the snapshot."""

from __future__ import annotations

import json

import pytest

from accelctl.host.filesystem import FileSystemHost
from accelctl.inventory import load_snapshot
from accelctl.probes.base import ProbeOptions
from accelctl.probes.collect import collect
from accelctl.probes.nvidia.toolkit import parse_version_json
from tests.conftest import make_tree


@pytest.mark.parametrize("text, version", [
    ('{"cuda": {"name": "CUDA SDK", "version": "12.4.1"}}', "12.4.1"),
    ('{"cuda": {"version": ["12", "4"]}}', None),
    ('{"cuda": {"version": 12.4}}', None),
    ('{"cuda": {"version": "twelve"}}', None),
    ('{"cuda": {"version": "12.4.1' + "9" * 50 + '"}}', None),
    ('{"cuda": ' + "[" * 5000 + "]" * 5000 + "}", None),
    ('{"cuda": {"version": ' + "1" * 5000 + "}}", None),
])
def test_version_json_gives_a_version_string_or_nothing(text, version):
    assert parse_version_json(text) == version


def test_a_list_version_in_version_json_still_gives_a_snapshot_that_reads_back(ubuntu_rootfs, tmp_path):
    make_tree(ubuntu_rootfs, {
        "usr/local/cuda-12.4/version.json": json.dumps({"cuda": {"version": ["12", "4"]}}),
        "usr/local/cuda-12.4/version.txt": "CUDA Version 12.4.1\n",
        "usr/local/cuda-12.4/bin/nvcc": None,
    }, links={"usr/local/cuda": "cuda-12.4"})
    inventory = collect(FileSystemHost(str(ubuntu_rootfs)), ProbeOptions(), mode="rootfs")
    snapshot = tmp_path / "node.json"
    snapshot.write_text(inventory.to_json())
    again = load_snapshot(str(snapshot))
    assert [t.version for t in again.nvidia.toolkits] == ["12.4.1"]


def test_a_package_whose_metadata_cannot_be_read_is_an_unknown_and_the_rest_stays(ubuntu_rootfs):
    site = ubuntu_rootfs / "opt/venv/lib/python3.10/site-packages"
    (site / "broken-1.0.dist-info").mkdir()  # no METADATA at all
    make_tree(site, {"noversion-2.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: noversion\n"})
    (site / "fifo-3.0.dist-info").mkdir()
    import os

    os.mkfifo(site / "fifo-3.0.dist-info" / "METADATA")
    inventory = collect(FileSystemHost(str(ubuntu_rootfs)), ProbeOptions(), mode="rootfs")
    names = sorted(d.name for d in inventory.python[0].distributions)
    assert names == ["numpy", "packaging"]
    unknown = {u.fact: u.reason for u in inventory.unknowns if u.fact.startswith("python.distribution.")}
    assert set(unknown) == {"python.distribution.broken-1.0.dist-info", "python.distribution.noversion-2.0.dist-info",
                            "python.distribution.fifo-3.0.dist-info"}
    assert "no such file" in unknown["python.distribution.broken-1.0.dist-info"]
    assert "METADATA has no Version" in unknown["python.distribution.noversion-2.0.dist-info"]
    assert "not a regular file" in unknown["python.distribution.fifo-3.0.dist-info"]
