"""capture records what the probes read; the recording replays to the same inventory."""

from __future__ import annotations

import json

from accelctl.host.fixture import FixtureHost
from accelctl.host.recording import Redactor
from accelctl.probes.base import ProbeOptions
from accelctl.probes.collect import collect
from tests.conftest import run_cli


def test_redaction_is_consistent_and_complete():
    red = Redactor(["node-17.example"])
    text = ("GPU-e412736b-4a34-85bc-a1af-e16bbf595c1d GPU-e412736b-4a34-85bc-a1af-e16bbf595c1d "
            "GPU-aaaaaaaa-4a34-85bc-a1af-e16bbf595c1d\n    Serial Number                         : 1652922044325\n"
            "link/ether 02:42:ac:11:00:02 on node-17.example <serial>1652922044325</serial>")
    out = red.text(text)
    assert "e412736b" not in out and "1652922044325" not in out and "02:42:ac" not in out and "node-17" not in out
    assert out.count("GPU-00000000-0000-0000-0000-000000000000") == 2
    assert "GPU-00000000-0000-0000-0000-000000000001" in out


def test_capture_replays_like_the_live_machine(tmp_path):
    folder = tmp_path / "cap"
    code, _out, err = run_cli(["capture", str(folder)])
    assert code == 0, err
    assert (folder / "README.md").is_file() and (folder / "files").is_dir()
    live = json.loads(run_cli(["doctor", "--json"])[1])["inventory"]
    replay = collect(FixtureHost(str(folder)), ProbeOptions(), mode="fixture")
    assert replay.os.distro_id == live["os"]["distro_id"]
    assert replay.os.libc_version == live["os"]["libc_version"]
    assert replay.os.arch == live["os"]["arch"]
    if live["python"]:
        assert [d.name for d in replay.python[0].distributions] == [d["name"] for d in live["python"][0]["distributions"]]


def test_capture_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "x").write_text("")
    code, _, err = run_cli(["capture", str(tmp_path)])
    assert code == 2 and "new or empty folder" in err
