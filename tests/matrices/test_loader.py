"""The matrix loader: strict validation naming file, entry and field; user layers over the bundled data."""

from __future__ import annotations

import pytest

from accelctl.matrices import MatrixError, MatrixSet, bundled_dir, specs
from tests.conftest import run_cli

HEADER = "schema: 1\nname: cuda_toolkit\nversion: 1\nupdated: 2026-11-22\ndescription: ours\nentries:\n"


def write(folder, name, text):
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def test_every_bundled_matrix_validates_and_every_entry_has_a_source():
    ms = MatrixSet()
    names = ms.names()
    assert set(names) == set(specs()) & {p.stem for p in bundled_dir().glob("*.yaml")}
    for name in names:
        for e in ms.entries(name):
            assert e.provenance.source and e.provenance.read, f"{name}: {e}"


@pytest.mark.parametrize("entry, message", [
    ('  - cuda: "12.4.0"\n    label: x\n    min_driver_linux: "abc"\n    source: https://x.invalid\n    read: 2026-11-22\n',
     "entry 0 (12.4.0): field 'min_driver_linux': not a driver version: 'abc'"),
    ('  - cuda: "12.4.0"\n    label: x\n    colour: red\n    source: https://x.invalid\n    read: 2026-11-22\n',
     "entry 0 (12.4.0): field 'colour': unknown field"),
    ('  - cuda: "12.4.0"\n    label: x\n    read: 2026-11-22\n', "entry 0 (12.4.0): field 'source': every entry needs a source"),
    ('  - cuda: "12.4.0"\n    label: x\n    source: https://x.invalid\n', "entry 0 (12.4.0): field 'read'"),
    ('  - cuda: 12.4\n    label: x\n    source: https://x.invalid\n    read: 2026-11-22\n', "field 'cuda': expected a string"),
])
def test_broken_user_matrix_names_file_entry_and_field(tmp_path, entry, message):
    path = write(tmp_path / "ours", "cuda_toolkit", HEADER + entry)
    with pytest.raises(MatrixError) as info:
        MatrixSet(overlays=[tmp_path / "ours"]).get("cuda_toolkit")
    assert any(str(path) in p and message in p for p in info.value.problems), info.value.problems


def test_cli_validate_exits_2_on_a_broken_folder(tmp_path):
    write(tmp_path / "ours", "cuda_toolkit", HEADER + '  - cuda: "12.4.0"\n    label: x\n')
    code, _, err = run_cli(["matrices", "validate", str(tmp_path / "ours")])
    assert code == 2 and "cuda_toolkit.yaml: entry 0 (12.4.0)" in err
    code, out, _ = run_cli(["matrices", "validate"])
    assert code == 0 and "matrices valid" in out


def test_duplicates_are_caught_across_layers(tmp_path):
    entry = '  - cuda: "99.0.0"\n    label: "CUDA 99.0 GA"\n    ga: true\n    min_driver_linux: "999.1"\n    source: https://x.invalid\n    read: 2026-11-22\n'
    write(tmp_path / "ours", "cuda_toolkit", HEADER + entry)
    ms = MatrixSet(overlays=[tmp_path / "ours"])
    cudas = [e.cuda for e in ms.entries("cuda_toolkit")]
    assert "99.0.0" in cudas and "12.4.0" in cudas  # added to the bundled entries


def test_an_overlay_entry_replaces_the_bundled_one(tmp_path):
    entry = '  - cuda: "12.4.0"\n    label: "CUDA 12.4 GA"\n    ga: true\n    min_driver_linux: "550.99.99"\n    source: https://ours.invalid\n    read: 2026-11-22\n'
    write(tmp_path / "ours", "cuda_toolkit", HEADER + entry)
    ms = MatrixSet(overlays=[tmp_path / "ours"])
    [e] = [e for e in ms.entries("cuda_toolkit") if e.cuda == "12.4.0"]
    assert e.min_driver_linux == "550.99.99" and e.provenance.source == ("https://ours.invalid",)


def test_environment_variable_layers_for_doctor(tmp_path, monkeypatch):
    write(tmp_path / "ours", "cuda_toolkit", HEADER + '  - cuda: "12.4.0"\n    label: x\n    bogus: 1\n    source: u\n    read: 2026-11-22\n')
    monkeypatch.setenv("ACCELCTL_MATRICES", str(tmp_path / "ours"))
    code, _out, _ = run_cli(["matrices", "list"])
    assert code == 2


def test_compiled_twins_are_current():
    import json

    from accelctl.matrices import source_fingerprint

    for path in sorted(bundled_dir().glob("*.yaml")):
        twin = bundled_dir() / "_compiled" / f"{path.stem}.json"
        assert twin.is_file(), f"{twin} missing: run python -m accelctl.matrices.compile"
        doc = json.loads(twin.read_text())
        assert doc["source"] == source_fingerprint(path.read_bytes()), \
            f"{twin} is stale: run python -m accelctl.matrices.compile"


def test_compiled_and_yaml_give_the_same_entries():
    fast, slow = MatrixSet(), MatrixSet(use_compiled=False)
    for name in fast.names():
        assert fast.entries(name) == slow.entries(name), name


def test_duplicate_keys_in_one_file_are_errors(tmp_path):
    entry = '  - cuda: "99.0.0"\n    label: "CUDA 99.0 GA"\n    source: https://x.invalid\n    read: 2026-11-22\n'
    path = write(tmp_path / "ours", "cuda_toolkit", HEADER + entry + entry)
    with pytest.raises(MatrixError) as info:
        MatrixSet(overlays=[tmp_path / "ours"]).get("cuda_toolkit")
    assert any(str(path) in p and "entry 1 (99.0.0)" in p and "duplicate" in p for p in info.value.problems)
