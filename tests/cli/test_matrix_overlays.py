"""A broken matrix overlay is an error naming the file and field, before anything is judged (never advice)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_errors import error_parts
from tests.conftest import run_cli

# -- broken matrix overlays: exit 2 naming the file and field, before anything is judged ---------------------------

HEADER = "schema: {schema}\nname: cuda_toolkit\nversion: 1\nupdated: 2026-11-22\ndescription: ours\nentries:\n"
ENTRY = ('  - cuda: "{cuda}"\n    label: "CUDA 12.4 GA"\n    ga: true\n    min_driver_linux: "550.54.14"\n'
         '    source: https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/\n    read: 2026-11-22\n')


def truncated() -> str:
    """The bundled file cut inside a quoted string, as a partial copy or an interrupted download leaves it."""
    from accelctl.matrices import bundled_dir

    text = (bundled_dir() / "cuda_toolkit.yaml").read_text()
    middle = text.index('"', len(text) // 2)
    return text[:middle + 3]


BROKEN = {
    "truncated": (truncated, "not valid YAML at line", None),
    "wrong type": (lambda: HEADER.format(schema=1) + ENTRY.format(cuda="12.4.0").replace('"12.4.0"', "12.4"),
                   "expected a string", "entry 0 (12.4): cuda"),
    "missing source": (lambda: HEADER.format(schema=1) + ENTRY.format(cuda="12.4.0").replace(
        "    source: https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/\n", ""),
        "every entry needs a source", "entry 0 (12.4.0): source"),
    "unknown schema": (lambda: HEADER.format(schema=2) + ENTRY.format(cuda="12.4.0"), "must be 1, got 2", "schema"),
}


def broken_overlay(tmp_path: Path, case: str) -> Path:
    folder = tmp_path / "ours"
    folder.mkdir()
    (folder / "cuda_toolkit.yaml").write_text(BROKEN[case][0]())
    return folder


def assert_names_file_and_field(code: int, out: str, err: str, folder: Path, case: str) -> None:
    _, message, field = BROKEN[case]
    assert (code, out) == (2, ""), err
    assert error_parts(err)[0] == "matrix-invalid"
    assert f"file: {folder / 'cuda_toolkit.yaml'}" in err and message in err
    if field:
        assert f"field: {field}" in err
    else:
        assert "field: line " in err


@pytest.mark.parametrize("case", list(BROKEN))
def test_doctor_with_a_broken_overlay_exits_2_instead_of_advising(tmp_path, h100_snapshot, case):
    folder = broken_overlay(tmp_path, case)
    code, out, err = run_cli(["doctor", "--from", str(h100_snapshot), "--matrices", str(folder)])
    assert_names_file_and_field(code, out, err, folder, case)


@pytest.mark.parametrize("case", list(BROKEN))
def test_plan_with_a_broken_overlay_exits_2(tmp_path, case):
    folder = broken_overlay(tmp_path, case)
    code, out, err = run_cli(["plan", "torch", "--driver", "550.54.15", "--cc", "9.0", "--matrices", str(folder)])
    assert_names_file_and_field(code, out, err, folder, case)


@pytest.mark.parametrize("case", list(BROKEN))
@pytest.mark.parametrize("command", ["doctor", "plan"])
def test_the_environment_variable_overlay_is_checked_the_same_way(tmp_path, h100_snapshot, monkeypatch, case, command):
    folder = broken_overlay(tmp_path, case)
    monkeypatch.setenv("ACCELCTL_MATRICES", str(folder))
    args = ["doctor", "--from", str(h100_snapshot)] if command == "doctor" else ["plan", "torch", "--cpu"]
    code, out, err = run_cli(args)
    assert_names_file_and_field(code, out, err, folder, case)


def test_a_good_overlay_changes_nothing_on_a_clean_node(tmp_path, h100_snapshot):
    folder = tmp_path / "ours"
    folder.mkdir()
    (folder / "cuda_toolkit.yaml").write_text(HEADER.format(schema=1) + ENTRY.format(cuda="12.4.0"))
    code, out, err = run_cli(["doctor", "--from", str(h100_snapshot), "--matrices", str(folder), "--json"])
    assert code == 0 and json.loads(out)["findings"] == [], err


@pytest.mark.parametrize("name, content, expected", [
    ("cuda_tolkit.yaml", "schema: 1\n", "no matrix subject named 'cuda_tolkit'; did you mean 'cuda_toolkit'?"),
    ("cuda_toolkit.yml", "schema: 1\n", "rename it cuda_toolkit.yaml"),
    ("cuda_toolkit.yaml", "a: &a [1, 2]\nb: [*a, *a]\n", "aliases are not allowed"),
    ("cuda_toolkit.yaml", "schema: 1\nschema: 2\n", "key 'schema' appears twice"),
])
def test_overlay_files_that_would_be_skipped_or_explode_are_errors(tmp_path, name, content, expected):
    (tmp_path / name).write_text(content)
    code, out, err = run_cli(["matrices", "list", "--matrices", str(tmp_path)])
    assert (code, out) == (2, "") and error_parts(err)[0] == "matrix-invalid" and expected in err
    code, _, err = run_cli(["matrices", "validate", str(tmp_path)])
    assert code == 2 and expected in err


def test_an_unknown_matrix_name_suggests_the_closest():
    code, out, err = run_cli(["matrices", "show", "cuda_tolkit"])
    assert (code, out) == (2, "") and error_parts(err)[0] == "unknown-matrix" and "did you mean 'cuda_toolkit'?" in err


def test_a_missing_matrices_folder_is_named(tmp_path):
    code, _, err = run_cli(["plan", "torch", "--cpu", "--matrices", str(tmp_path / "nope")])
    assert code == 2 and error_parts(err)[0] == "matrix-folder-missing" and "argument" not in err
    assert f"file: {tmp_path / 'nope'}" in err and "field: --matrices" in err
