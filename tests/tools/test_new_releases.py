"""python -m tools.refresh --new-releases, with the registry's answer stubbed (and once for real, opt-in)."""

from __future__ import annotations

import io

import pytest

from accelctl.matrices import MatrixSet
from tools.refresh import new_releases
from tools.refresh.__main__ import main as refresh_main


def known():
    return new_releases.known_versions(MatrixSet())


def test_known_versions_come_from_the_matrices():
    k = known()
    newest_torch = max(str(b.torch) for b in MatrixSet().entries("pytorch"))
    assert k["torch"].newest() == str(max(v for v in k["torch"].versions))
    assert newest_torch in {str(v) for v in k["torch"].versions}
    assert k["nvidia-cudnn-cu13"].versions and k["cupy-cuda12x"].series


def test_lists_only_final_releases_newer_than_the_newest_known():
    k = known()
    newest = max(k["vllm"].versions)
    major, minor = newest.release[:2]
    answer = {"vllm": [f"{major}.{minor + 1}.0", f"{major}.{minor + 2}.0rc1", str(newest), "0.1.0"]}
    [report] = new_releases.new_releases(k, answer.get, ["vllm"])
    assert report.answered and report.new == (f"{major}.{minor + 1}.0",)


def test_a_covered_series_is_known_and_a_new_major_is_not():
    k = new_releases.Known(series={(14,)})
    stub = {"cupy-cuda13x": ["13.6.0", "14.0.1", "14.1.0", "15.0.0"]}.get
    [report] = new_releases.new_releases({"cupy-cuda13x": k}, stub, ["cupy-cuda13x"])
    assert report.new == ("15.0.0",)


def test_a_registry_that_does_not_answer_is_said_so():
    [report] = new_releases.new_releases(known(), lambda name: None, ["torch"])
    assert not report.answered
    assert "did not answer" in new_releases.render([report])[0]


def test_pip_index_output_is_parsed():
    text = "torchaudio (2.11.1)\nAvailable versions: 2.11.1, 2.11.0, 2.10.0\n  INSTALLED: 2.10.0\n"
    assert new_releases.parse_pip_index(text) == ["2.11.1", "2.11.0", "2.10.0"]
    assert new_releases.parse_pip_index("ERROR: No matching distribution found for nothing-here") is None


def test_the_mode_prints_and_exits_1_when_something_is_new():
    out = io.StringIO()
    code = new_releases.main(registry={"torchaudio": ["99.0.0"]}.get, out=out)
    assert code == 1 and "torchaudio: 1 release(s) newer" in out.getvalue() and "99.0.0" in out.getvalue()


@pytest.mark.network
def test_the_real_registry_answers_for_torch(capsys):
    assert refresh_main(["--new-releases"]) in (0, 1)
    assert "torch:" in capsys.readouterr().out
