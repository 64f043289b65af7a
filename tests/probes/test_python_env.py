from __future__ import annotations

from accelctl.host.filesystem import FileSystemHost
from accelctl.probes.base import ProbeContext, ProbeOptions
from accelctl.probes.distributions import parse_metadata_headers
from accelctl.probes.python_env import probe
from tests.conftest import make_tree


def test_metadata_headers_stop_at_the_body():
    text = "Metadata-Version: 2.1\nName: torch\nVersion: 2.11.0+cu130\nRequires-Dist: filelock\nRequires-Dist: nvidia-cudnn-cu13==9.19.0.56; platform_system == \"Linux\"\n\nRequires-Dist: not-a-header\n"
    headers = parse_metadata_headers(text)
    assert headers["version"] == ["2.11.0+cu130"]
    assert headers["requires-dist"] == ["filelock", 'nvidia-cudnn-cu13==9.19.0.56; platform_system == "Linux"']


def test_rootfs_finds_the_image_venv(ubuntu_rootfs):
    ctx = ProbeContext(FileSystemHost(str(ubuntu_rootfs)), ProbeOptions(), "python")
    [env] = probe(ctx)
    assert (env.interpreter, env.kind, env.version, env.prefix) == ("/opt/venv/bin/python3", "venv", "3.10.12", "/opt/venv")
    assert sorted((d.name, d.version) for d in env.distributions) == [("numpy", "1.26.4"), ("packaging", "24.1")]
    assert env.site_packages == ["/opt/venv/lib/python3.10/site-packages"]


def test_python_option_wins(ubuntu_rootfs):
    ctx = ProbeContext(FileSystemHost(str(ubuntu_rootfs)), ProbeOptions(python="/opt/venv/bin/python"), "python")
    [env] = probe(ctx)
    assert env.selected_because == "--python" and env.prefix == "/opt/venv"


def test_missing_python_is_an_unknown_not_an_error(ubuntu_rootfs):
    ctx = ProbeContext(FileSystemHost(str(ubuntu_rootfs)), ProbeOptions(python="/nope/bin/python"), "python")
    assert probe(ctx) == []
    assert ctx.unknowns[0].reason == "--python /nope/bin/python: no such interpreter"


def test_active_venv_is_preferred_and_accelctls_own_venv_skipped(tmp_path):
    site = "lib/python3.12/site-packages"
    root = make_tree(tmp_path / "r", {
        "home/u/proj/.venv/pyvenv.cfg": "home = /usr/bin\nversion_info = 3.12.3\n",
        "home/u/proj/.venv/bin/python": None,
        f"home/u/proj/.venv/{site}/torch-2.11.0+cu130.dist-info/METADATA": "Name: torch\nVersion: 2.11.0+cu130\n",
        "home/u/.local/pipx/venvs/accelctl/bin/python3": None,
        "home/u/.local/pipx/venvs/accelctl/pyvenv.cfg": "version = 3.12.3\n",
    })
    (root / "home/u/proj/.venv/bin/python").chmod(0o755)
    (root / "home/u/.local/pipx/venvs/accelctl/bin/python3").chmod(0o755)
    host = FileSystemHost(str(root), env={"VIRTUAL_ENV": "/home/u/proj/.venv"})
    [env] = probe(ProbeContext(host, ProbeOptions(), "python"))
    assert env.prefix == "/home/u/proj/.venv" and env.selected_because == "$VIRTUAL_ENV"
    assert [d.version for d in env.distributions] == ["2.11.0+cu130"]

    host = FileSystemHost(str(root), env={"PATH": "/home/u/.local/pipx/venvs/accelctl/bin"})
    ctx = ProbeContext(host, ProbeOptions(accelctl_prefix="/home/u/.local/pipx/venvs/accelctl"), "python")
    assert probe(ctx) == []


def test_metadata_body_is_not_read_as_headers():
    from accelctl.probes.distributions import parse_metadata_headers

    text = "Name: torch\nVersion: 2.11.0\nRequires-Dist: filelock\n\nName: not-a-header\nVersion: 0\n"
    assert parse_metadata_headers(text) == {"name": ["torch"], "version": ["2.11.0"], "requires-dist": ["filelock"]}
    crlf = text.replace("\n", "\r\n")
    assert parse_metadata_headers(crlf)["name"] == ["torch"]


def test_requirement_lines_are_filtered_by_their_leading_name():
    from accelctl.probes.frameworks.common import names_stack_package

    assert names_stack_package('nvidia-cudnn-cu13==9.19.0.56; platform_system == "Linux"')
    assert names_stack_package("Triton (==3.6.0)")
    assert not names_stack_package("filelock")
    assert not names_stack_package("sympy>=1.13.3")


def test_every_framework_the_readers_describe_gets_its_wheel_tags():
    """The glibc floor and platform come from WHEEL tags; a framework left out would have its ELF files read."""
    from accelctl.probes.frameworks.names import OTHERS, TENSORFLOW
    from accelctl.probes.python_env import wants_wheel_tags

    names = {"torch", "jax", "jaxlib", "jax-cuda13-plugin", "jax-cuda12-pjrt", "jax-rocm7-plugin",
             *TENSORFLOW, *OTHERS}
    assert [n for n in sorted(names) if not wants_wheel_tags(n)] == []
    assert not wants_wheel_tags("requests") and not wants_wheel_tags("nvidia-cudnn-cu13")


def test_metadata_headers_are_read_without_the_body(tmp_path):
    from accelctl.host.filesystem import FileSystemHost
    from accelctl.probes.distributions import read_metadata_headers_text
    from tests.conftest import make_tree

    body = "\n\n" + "x" * 300_000
    long_headers = "".join(f"Requires-Dist: pkg{i}\n" for i in range(2_000))  # 40 KB: past the first read
    root = make_tree(tmp_path / "r", {"a/METADATA": "Name: a\nVersion: 1\n" + body,
                                      "b/METADATA": "Name: b\r\nVersion: 2\r\n\r\n" + "y" * 100,
                                      "c/METADATA": "Name: c\nVersion: 3\n" + long_headers + body})
    host = FileSystemHost(str(root))
    assert read_metadata_headers_text(host, "/a/METADATA") == "Name: a\nVersion: 1"
    assert read_metadata_headers_text(host, "/b/METADATA") == "Name: b\r\nVersion: 2"
    assert read_metadata_headers_text(host, "/c/METADATA").endswith("Requires-Dist: pkg1999")


def _fixture_metadata_files():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "fixtures"
    return sorted(p for p in root.rglob("*") if p.name in ("METADATA", "PKG-INFO") and p.is_file())


def test_fast_header_split_equals_the_general_reader_on_every_fixture_file():
    """The one-regex split is taken only for unfolded headers, and there gives what the line reader gives."""
    from accelctl.probes.distributions import _parse_folded_headers, parse_metadata_headers

    files = _fixture_metadata_files()
    assert len(files) > 500
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        end = text.find("\n\n")
        if end < 0:
            end = text.find("\r\n\r\n")
        block = text[:end] if end >= 0 else text
        assert parse_metadata_headers(text) == _parse_folded_headers(block), path


def test_folded_and_odd_headers_take_the_general_reader():
    from accelctl.probes.distributions import parse_metadata_headers

    folded = "Name: a\nLicense: line one\n  line two\nVersion: 1\n\nbody"
    assert parse_metadata_headers(folded) == {"name": ["a"], "license": ["line one line two"], "version": ["1"]}
    odd = "Name: a\nSummary: x\u2028Version: 9\nVersion: 1\n"
    assert parse_metadata_headers(odd)["version"] == ["9", "1"]  # str.splitlines breaks at U+2028, as before
    assert parse_metadata_headers(": stray\nName: a")[""] == ["stray"]


def test_used_headers_equal_the_full_reader_on_every_fixture_file():
    from accelctl.probes.distributions import USED_HEADERS, parse_metadata_headers, used_metadata_headers

    for path in _fixture_metadata_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        full = {k: v for k, v in parse_metadata_headers(text).items() if k in USED_HEADERS}
        assert used_metadata_headers(text) == full, path
    assert used_metadata_headers("NAME : x\nVersion:1 \nRequires-Dist: a; extra == 'b'\nClassifier: z\n") == {
        "name": ["x"], "version": ["1"], "requires-dist": ["a; extra == 'b'"]}
