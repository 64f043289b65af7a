"""The torch arch refresh: following wheel build scripts, choosing commits, writing the matrix document."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "refresh"))
import torch_builds as tb

CASE_SCRIPT = """
TORCH_CUDA_ARCH_LIST="5.0;6.0;7.0"  # a trailing comment
case ${CUDA_VERSION} in
    12.4)
        if [[ "$GPU_ARCH_TYPE" = "cuda-aarch64" ]]; then
            TORCH_CUDA_ARCH_LIST="9.0"
        else
            TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST};9.0+PTX"
        fi
        ;;
    11.[78])
        TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST};3.7"
        ;;
    *)
        echo "unknown cuda version $CUDA_VERSION"
        exit 1
        ;;
esac
if [[ -n "$OVERRIDE_TORCH_CUDA_ARCH_LIST" ]]; then
    TORCH_CUDA_ARCH_LIST="$OVERRIDE_TORCH_CUDA_ARCH_LIST"
fi
"""

IF_SCRIPT = """
if [[ "$GPU_ARCH_VERSION" == *"12.6"* ]]; then
    export TORCH_CUDA_ARCH_LIST="8.0;9.0"
elif [[ "$GPU_ARCH_VERSION" == *"13.0"* ]]; then
    export TORCH_CUDA_ARCH_LIST="8.0;9.0;10.0;11.0;12.0+PTX"
fi
"""

ROCM_SCRIPT = """
case ${GPU_ARCH_TYPE} in
    cuda)
        PYTORCH_ROCM_ARCH="nonsense"
        ;;
    rocm)
        PYTORCH_ROCM_ARCH="gfx900;gfx90a"
        if [[ $ROCM_VERSION_INT -ge 60000 ]]; then
            PYTORCH_ROCM_ARCH+=";gfx942"
        fi
        ;;
esac
"""


def value(script, name, **env):
    return tb._evaluate(script, name, {k: str(v) for k, v in env.items()}).value


@pytest.mark.parametrize(("env", "expected"), [
    ({"CUDA_VERSION": "12.4", "GPU_ARCH_TYPE": "cuda"}, "5.0;6.0;7.0;9.0+PTX"),
    ({"CUDA_VERSION": "12.4", "GPU_ARCH_TYPE": "cuda-aarch64"}, "9.0"),
    ({"CUDA_VERSION": "11.8", "GPU_ARCH_TYPE": "cuda"}, "5.0;6.0;7.0;3.7"),
    ({"CUDA_VERSION": "10.2", "GPU_ARCH_TYPE": "cuda"}, None),  # the script exits: no list for 10.2
])
def test_case_arms_and_tests(env, expected):
    assert value(CASE_SCRIPT, "TORCH_CUDA_ARCH_LIST", **env) == expected


def test_if_chains_and_appends():
    assert value(IF_SCRIPT, "TORCH_CUDA_ARCH_LIST", GPU_ARCH_VERSION="13.0") == "8.0;9.0;10.0;11.0;12.0+PTX"
    assert value(IF_SCRIPT, "TORCH_CUDA_ARCH_LIST", GPU_ARCH_VERSION="12.8") is None  # silent: unknown
    assert value(ROCM_SCRIPT, "PYTORCH_ROCM_ARCH", GPU_ARCH_TYPE="rocm", ROCM_VERSION_INT=60100) == "gfx900;gfx90a;gfx942"
    assert value(ROCM_SCRIPT, "PYTORCH_ROCM_ARCH", GPU_ARCH_TYPE="rocm", ROCM_VERSION_INT=50700) == "gfx900;gfx90a"


def test_an_assignment_under_an_undecidable_test_is_unknown():
    script = 'X="1"\nif [[ $(uname -m) == "aarch64" ]]; then\n  X="2"\nfi\n'
    out = tb._evaluate(script, "X", {})
    assert out.value is None and "cannot be decided" in out.why


def test_arch_text_to_lists():
    assert tb._archs("5.0;6.0;7.0;3.7;9.0+PTX") == (["3.7", "5.0", "6.0", "7.0", "9.0"], ["9.0"])


class FakeRepo:
    """Two commits of a builder branch: the arch list changed three days before the release."""

    def __init__(self, change_days_before: int) -> None:
        self.change = f"2024-10-{17 - change_days_before:02d}T00:00:00Z"

    def commit_at(self, repo, ref, before=None):
        if before is not None and before < self.change:
            return ("a" * 40, "2024-09-01T00:00:00Z")
        return ("b" * 40, self.change)

    def commits_touching(self, repo, ref, path, since, until):
        return ["b" * 40] if since <= self.change <= until else []

    def read(self, repo, commit, path):
        if repo != tb.BUILDER:
            return None
        arch = "9.0" if commit.startswith("b") else "9.0+PTX"
        return f'TORCH_CUDA_ARCH_LIST="8.0;{arch}"\n'


def test_a_branch_is_read_as_of_the_release_and_a_late_change_is_flagged():
    pytorch_doc = {"entries": [{"torch": "2.5.0", "variant": "cu124", "runtime_kind": "cuda"},
                               {"torch": "2.7.1", "variant": "cu128", "runtime_kind": "cuda"}]}
    doc = tb.refresh("2026-12-05", FakeRepo(change_days_before=30), pytorch_doc)
    by = {(e["torch"], e["platform"]): e for e in doc["entries"]}
    settled = by[("2.5.0", "x86_64")]
    assert settled["arch_list"] == ["8.0", "9.0"] and settled["ptx"] == []
    assert settled["source"][0] == f"https://github.com/pytorch/builder/blob/{'b' * 40}/manywheel/build_cuda.sh"
    assert settled["read"] == "2026-12-05"
    # a tag that cannot be read is unknown, not borrowed from another release
    assert by[("2.7.1", "x86_64")]["arch_list"] is None and by[("2.7.1", "x86_64")]["note"].startswith("Unknown:")
    late = next(e for e in tb.refresh("2026-12-05", FakeRepo(change_days_before=3), pytorch_doc)["entries"]
                if (e["torch"], e["platform"]) == ("2.5.0", "x86_64"))
    assert late["arch_list"] == ["8.0", "9.0"] and late["ptx"] is None  # only +PTX moved


def test_the_document_passes_the_matrix_loader(tmp_path):
    from accelctl.matrices import load_file, spec

    pytorch_doc = {"entries": [{"torch": "2.5.0", "variant": "cu124", "runtime_kind": "cuda"}]}
    path = tmp_path / "torch_archs.yaml"
    path.write_text(tb.dump(tb.refresh("2026-12-05", FakeRepo(30), pytorch_doc)), encoding="utf-8")
    matrix = load_file(spec("torch_archs"), path)
    assert next(e.variant for e in matrix.entries if e.torch == "2.5.0") == "cu124"


NEWER_CUDA_SCRIPT = """
ARCH=$(uname -m)
shrink() {
    local list="$1"
    echo "${list//7.5;/}"
}
TORCH_CUDA_ARCH_LIST="7.5;8.0"
case ${CUDA_VERSION} in
    12.6) TORCH_CUDA_ARCH_LIST="5.0;${TORCH_CUDA_ARCH_LIST}" ;;  # older GPUs too
    13.0)
        TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST};$([[ "$ARCH" == "aarch64" ]] && echo "11.0;" || echo "")12.0"
        ;;
    *) echo "no list for $CUDA_VERSION"; exit 1 ;;
esac
[[ "$ARCH" == "aarch64" ]] && TORCH_CUDA_ARCH_LIST=$(shrink "$TORCH_CUDA_ARCH_LIST")
"""

IMAGE_SCRIPT = """
case ${image} in
    builder:cuda*)
        TARGET=cuda
        ;;
    builder:rocm*)
        PYTORCH_ROCM_ARCH="gfx942;gfx1100"
        if [[ "$GPU_ARCH_VERSION" == *"7.9"* ]]; then
            TARGET=new
        else
            PYTORCH_ROCM_ARCH="gfx90a;${PYTORCH_ROCM_ARCH}"
            ARGS="--build-arg PYTORCH_ROCM_ARCH=${PYTORCH_ROCM_ARCH}"
        fi
        ;;
    *) exit 1 ;;
esac
"""


def test_single_line_arms_conditional_echo_and_guarded_filters():
    def cuda(version, platform):
        return tb._value_of(NEWER_CUDA_SCRIPT, "TORCH_CUDA_ARCH_LIST",
                            tb._inputs(tb.Build("2.10.0", "cu" + version.replace(".", ""), "x"), platform))
    assert cuda("12.6", "x86_64").value == "5.0;7.5;8.0"
    assert cuda("13.0", "x86_64").value == "7.5;8.0;12.0"
    # on aarch64 a shell function filters the list: not followed, so unknown rather than the unfiltered list
    assert cuda("13.0", "aarch64").value is None
    assert cuda("13.2", "x86_64").value is None  # the catch-all arm exits


def test_image_name_candidates_and_names_inside_strings():
    def rocm(variant):
        return tb._value_of(IMAGE_SCRIPT.replace("builder:", "manylinux2_28-builder:"), "PYTORCH_ROCM_ARCH",
                            tb._inputs(tb.Build("2.14.0", variant, "x"), "x86_64")).value
    assert rocm("rocm7.2") == "gfx90a;gfx942;gfx1100"
    assert rocm("rocm7.9") == "gfx942;gfx1100"


def test_github_reads_commits_and_files_once_each():
    calls = []
    answers = {
        "https://api.github.com/repos/pytorch/pytorch/commits?sha=v2.7.1&per_page=1":
            b'[{"sha": "' + b"c" * 40 + b'", "commit": {"committer": {"date": "2025-06-03T00:00:00Z"}}}]',
        f"https://raw.githubusercontent.com/pytorch/pytorch/{'c' * 40}/.ci/manywheel/build_cuda.sh":
            b'case ${CUDA_VERSION} in\n  12.8) TORCH_CUDA_ARCH_LIST="7.5;12.0+PTX" ;;\nesac\n',
    }

    def fetch(url):
        calls.append(url)
        return answers.get(url)

    hub = tb.GitHub(fetch=fetch)
    doc = tb.refresh("2026-12-05", hub, {"entries": [{"torch": "2.7.1", "variant": "cu128", "runtime_kind": "cuda"}]})
    first = doc["entries"][0]
    assert (first["arch_list"], first["ptx"]) == (["7.5", "12.0"], ["12.0"])
    assert first["source"][0] == f"https://github.com/pytorch/pytorch/blob/{'c' * 40}/.ci/manywheel/build_cuda.sh"
    assert len(calls) == len(set(calls))
    # the until moment is encoded: "+00:00" must not become a space
    hub.commit_at("pytorch/builder", "release/2.5", "2024-10-17T14:44:26+00:00")
    assert calls[-1].endswith("until=2024-10-17T14%3A44%3A26%2B00%3A00")


def test_clones_named_in_the_environment_are_used(tmp_path):
    src = tb.default_sources({tb.CLONES_VARIABLE: f"pytorch/builder={tmp_path}", "GITHUB_TOKEN": "t"})
    assert src.local.clones == {"pytorch/builder": tmp_path} and src.remote.token == "t"
