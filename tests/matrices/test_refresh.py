"""The refresh tool (tools/refresh): its output is what is committed, and re-runs report what changed."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import yaml

from tools.refresh import __main__ as runner
from tools.refresh import common
from tools.refresh import nvidia_gpus as refresher

MATRICES = Path(__file__).resolve().parents[2] / "matrices"

# The pci.ids block and the driver's GPU table are read from their repositories at refresh time and kept
# only in the maintainer's checkout (ignored by git): the tests that regenerate the table need them.
needs_repository_sources = pytest.mark.skipif(
    not all((common.SOURCES / name).is_file() for name in (refresher.PCI_IDS, refresher.DRIVER_NAMES)),
    reason="the pci.ids and driver-table copies are not in this checkout "
           "(python -m tools.refresh.nvidia_gpus --pci-ids FILE --driver-readme FILE --url URL --commit SHA)",
)


@needs_repository_sources
def test_committed_nvidia_gpus_is_what_the_refresh_tool_writes_offline():
    out = io.StringIO()
    status, wrote = runner.refresh_table("nvidia_gpus", "2099-01-01", MATRICES, check=True, out=out)
    assert (status, wrote) == (0, False), out.getvalue()
    assert "nvidia_gpus: no change" in out.getvalue()


@pytest.fixture
def matrices_copy(tmp_path):
    folder = tmp_path / "matrices"
    shutil.copytree(MATRICES, folder)
    return folder


@needs_repository_sources
def test_check_fails_on_a_stale_file_and_a_rerun_reports_the_change(matrices_copy):
    path = matrices_copy / "nvidia_gpus.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["entries"] = [e for e in doc["entries"] if e["model"] != "TITAN Xp (0x1b02)"]
    doc["entries"][0]["cc"] = "9.9"
    path.write_text(common.render(common.plain(doc)))

    assert runner.main(["nvidia_gpus", "--check", "--matrices", str(matrices_copy)]) == 1
    out = io.StringIO()
    status, wrote = runner.refresh_table("nvidia_gpus", "2099-01-01", matrices_copy, check=False, out=out)
    text = out.getvalue()
    assert (status, wrote) == (0, True)
    assert "+ TITAN Xp (0x1b02)" in text and "~ Tesla K80: cc" in text
    fresh = yaml.safe_load(path.read_text())
    assert fresh["version"] == doc["version"] + 1 and str(fresh["updated"]) == "2099-01-01"
    assert runner.main(["nvidia_gpus", "--check", "--matrices", str(matrices_copy)]) == 0


def test_a_table_whose_module_is_absent_is_skipped(monkeypatch):
    monkeypatch.setitem(runner.TABLES, "nowhere", "tools.refresh.no_such_table")
    out = io.StringIO()
    assert runner.refresh_table("nowhere", "2099-01-01", MATRICES, check=True, out=out) == (0, False)
    assert "skipped" in out.getvalue()


def test_unknown_table_is_a_usage_error():
    with pytest.raises(SystemExit) as exc:
        runner.main(["no_such_table", "--check"])
    assert exc.value.code == 2


def test_header_is_kept_when_nothing_changed_and_bumped_when_it_did():
    old = {"schema": 1, "name": "x", "version": 4, "updated": "2026-01-01", "description": "d", "entries": [{"a": 1}]}
    same = common.finish({"name": "x", "description": "d", "entries": [{"a": 1}]}, old, "2026-12-05")
    assert (same["version"], same["updated"]) == (4, "2026-01-01")
    new = common.finish({"name": "x", "description": "d", "entries": [{"a": 2}]}, old, "2026-12-05")
    assert (new["version"], new["updated"]) == (5, "2026-12-05")


def test_render_reads_back_exactly():
    doc = {"schema": 1, "name": "nvidia_gpus", "version": 1, "updated": "2026-12-05", "description": "a: b # c",
           "entries": [{"model": 'odd "name": #1', "cc": None, "nvml_names": [], "pci_device_ids": ["0x1234"],
                        "source": ["https://example.org/a#b"], "read": "2026-12-05", "note": "x: y"}]}
    assert yaml.safe_load(common.render(doc))["entries"][0]["model"] == 'odd "name": #1'


def test_pci_ids_parsing():
    text = ("\t1b06  GP102 [GeForce GTX 1080 Ti]\n\t\t10de 120f  GeForce GTX 1080 Ti\n"
            "\t2342  GH100 [GH200 120GB / 480GB]\n\t2920  GB100 [TS4 / B100]\n"
            "\t2c18  GB203M / GN22 [GeForce RTX 5090 Max-Q / Mobile]\n\t22e8  GB202 High Definition Audio Controller\n"
            "\t1af1  GA100 [A100 NVSwitch]\n\t2080  GA100\n\t1d01  GP108 [GeForce GT 1030]\n\t0dc4  GF106 [GeForce GTS 450]\n")
    got = {d.device_id: (d.chip, d.names) for d in refresher.parse_pci_ids(text)}
    assert got == {
        "0x1b06": ("GP102", ("GeForce GTX 1080 Ti",)),
        "0x2342": ("GH100", ("GH200 120GB",)),
        "0x2920": ("GB100", ("TS4", "B100")),
        "0x2c18": ("GB203M", ("GeForce RTX 5090 Max-Q",)),
        "0x2080": ("GA100", ()),
        "0x1d01": ("GP108", ("GeForce GT 1030",)),
    }  # audio functions, switches and Fermi (GF) left out


def test_chip_table_sets_aside_what_contradicts_the_generation():
    devices = refresher.parse_pci_ids("\t1287  GK208B [GeForce GT 730]\n\t129a  GK208BM [GeForce 910M]\n"
                                      "\t1023  GK110BGL [Tesla K40m]\n\t1024  GK110 [Tesla K20]\n")
    copy = common.SourceCopy(Path("t"), "https://example.org/cc", "2026-12-05", "")
    listed = [refresher.Listed("5.2", "workstation/consumer", "GeForce 910M", copy),
              refresher.Listed("3.5", "data center", "Tesla K20", copy),
              refresher.Listed("3.5", "data center", "Tesla K40m", copy)]
    table = refresher.chip_table(devices, listed)
    assert table["GK110"].cc == "3.5"
    assert table["GK208"].cc is None and "910M" in refresher._cc_note("GK208", table["GK208"])


@needs_repository_sources
def test_chip_to_cc_table_from_the_vendored_sources():
    chips = {base: c.cc for base, c in refresher.generate().chips.items()}
    # Checked against NVIDIA's tables as read: e.g. GP102 by GeForce GTX 1080 Ti / Tesla P40 (6.1), GK210 by Tesla K80.
    expected = {"GK104": "3.0", "GK107": "3.0", "GK110": "3.5", "GK210": "3.7", "GM107": "5.0", "GM108": "5.0",
                "GM200": "5.2", "GM204": "5.2", "GM206": "5.2", "GP100": "6.0", "GP102": "6.1", "GP104": "6.1",
                "GP106": "6.1", "GP107": "6.1", "GV100": "7.0", "TU102": "7.5", "TU104": "7.5", "TU117": "7.5",
                "GA100": "8.0", "GA102": "8.6", "GA104": "8.6", "GA106": "8.6", "GA107": "8.6", "AD102": "8.9",
                "AD103": "8.9", "AD104": "8.9", "AD106": "8.9", "AD107": "8.9", "GH100": "9.0", "GB100": "10.0",
                "GB110": "10.3", "GB202": "12.0", "GB203": "12.0", "GB205": "12.0", "GB206": "12.0", "GB207": "12.0"}
    assert {k: chips.get(k) for k in expected} == expected
    assert chips["GP108"] == "6.1"  # NVIDIA lists the Quadro P500 and P520, pci.ids names them "Quadro P500 Mobile", "Quadro P520"
    assert chips["GK208"] is None  # the only GPU NVIDIA lists on it contradicts its generation
    assert chips["GA103"] == "8.6" and chips["GB102"] is None  # from GA102-GA107; a family's x00 die lends nothing


def test_validate_rejects_entries_without_source_or_read_date(tmp_path):
    from tests.conftest import run_cli

    doc = yaml.safe_load((MATRICES / "nvidia_gpus.yaml").read_text())
    doc["entries"] = [dict(doc["entries"][0], model="Mine A"), dict(doc["entries"][1], model="Mine B"),
                      dict(doc["entries"][2], model="Mine C")]
    del doc["entries"][0]["source"]
    del doc["entries"][1]["read"]
    doc["entries"][2]["source"] = ["/opt/somewhere/file.whl"]
    for e, ids in zip(doc["entries"], (["0xfff0"], ["0xfff1"], ["0xfff2"])):
        e["pci_device_ids"], e["nvml_names"] = ids, []
    (tmp_path / "nvidia_gpus.yaml").write_text(yaml.safe_dump(doc))
    code, _, err = run_cli(["matrices", "validate", str(tmp_path)])
    assert code == 2
    assert "(Mine A): field 'source'" in err and "(Mine B): field 'read'" in err and "(Mine C): field 'source'" in err


@needs_repository_sources
def test_a_newer_read_of_a_source_replaces_its_dated_copy(tmp_path):
    pci_ids = ("#\n#\tList of PCI IDs\n#\n#\tVersion: 2099.01.01\n#\tDate:    2099-01-01 03:15:01\n#\n"
               "10de  NVIDIA Corporation\n\t2b85  GB202 [GeForce RTX 5090]\n\t\t10de 2b85  GeForce RTX 5090\n"
               "10df  Emulex Corporation\n\t0101  LP Ethernet\n")
    body = refresher.pci_ids_block(pci_ids)
    assert body.splitlines()[0] == "#\tVersion: 2099.01.01" and "Emulex" not in body and "2b85  GB202" in body
    path = common.write_copy("pci.ids.10de", body, "https://example.org/pci.ids", "2099-01-01", "abc", folder=tmp_path)
    copy = common.read_copy(path.name, folder=tmp_path)
    assert (copy.url, copy.read, copy.commit) == ("https://example.org/pci.ids", "2099-01-01", "abc")
    assert [d.device_id for d in refresher.parse_pci_ids(copy.text)] == ["0x2b85"]
    with pytest.raises(ValueError):
        refresher.pci_ids_block("10df  Emulex Corporation\n")
    with pytest.raises(ValueError):
        common.write_copy("x", "y", "/opt/pci.ids", "2099-01-01", folder=tmp_path)

    readme = "## Compatible GPUs\n\n| Product Name | PCI ID |\n| --- | --- |\n| NVIDIA GeForce RTX 5090 | 2B85 |\n"
    rows = refresher.driver_names_table(readme)
    assert refresher.parse_driver_names(rows) == {"0x2b85": ["NVIDIA GeForce RTX 5090"]}


@needs_repository_sources
def test_every_gpu_nvidia_lists_resolves_to_its_listed_capability_or_to_none():
    from accelctl.matrices import load
    from accelctl.matrices.subjects import nvidia_gpus as G

    entries = load("nvidia_gpus").entries
    listed = [i for name in refresher.CC_TABLES for i in refresher.parse_cc_table(common.read_copy(name))]
    got = {(i.name, i.cc): G.cc_for_name(entries, i.name) for i in listed}
    assert {k: v for k, v in got.items() if v is not None and v != k[1]} == {}  # never another value
    unresolved = sorted(name for (name, _), v in got.items() if v is None)
    # the GPUs where NVIDIA's list and the chip disagree, or a name pci.ids gives to two chips, stay unknown
    assert len(unresolved) <= 8, unresolved
    assert G.cc_for_name(entries, "Quadro M5000M") is None
    assert "NVIDIA lists Quadro M5000M at 5.0" in G.by_pci_device_id(entries, "0x13f8").provenance.note
