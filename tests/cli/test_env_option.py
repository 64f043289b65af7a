"""``--env`` gives an unpacked filesystem (``doctor --root``, ``gate --rootfs/--image``) its environment."""

from __future__ import annotations

import pytest

from accelctl.cli.exits import InputError
from accelctl.envfile import environment_from_options, parse_env_lines
from tests.conftest import run_cli


def test_env_lines_as_docker_env_file_and_shell_files_write_them():
    text = "# comment\n\nPATH=/opt/venv/bin:/usr/bin\nexport LD_LIBRARY_PATH='/usr/lib/x86_64-linux-gnu'\nEMPTY=\nA=b=c\n"
    assert parse_env_lines(text, "node.env") == {"PATH": "/opt/venv/bin:/usr/bin", "EMPTY": "",
                                                 "LD_LIBRARY_PATH": "/usr/lib/x86_64-linux-gnu", "A": "b=c"}


def test_later_values_win_and_files_mix_with_pairs(tmp_path):
    env_file = tmp_path / "image.env"
    env_file.write_text("LD_LIBRARY_PATH=/a\nPATH=/bin\n")
    assert environment_from_options([str(env_file), "LD_LIBRARY_PATH=/b"]) == {"LD_LIBRARY_PATH": "/b", "PATH": "/bin"}


def test_a_bad_line_names_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.env"
    bad.write_text("PATH=/usr/bin\nnot a pair\n")
    with pytest.raises(InputError, match=r"bad.env, line 2: expected KEY=VALUE"):
        environment_from_options([str(bad)])


def test_env_needs_root_and_bad_values_exit_2(tmp_path):
    code, _, err = run_cli(["doctor", "--env", "LD_LIBRARY_PATH=/x"])
    assert code == 2 and "--root" in err
    bad = tmp_path / "bad.env"
    bad.write_text("PATH=/usr/bin\nnot a pair\n")
    code, _, err = run_cli(["doctor", "--root", str(tmp_path), "--env", str(bad)])
    assert code == 2 and f"--env {bad}, line 2: expected KEY=VALUE" in err
    code, _, err = run_cli(["doctor", "--root", str(tmp_path), "--env", str(tmp_path / "missing.env")])
    assert code == 2 and "neither KEY=VALUE nor a readable file" in err


def test_root_sees_the_environment(tmp_path):
    """The environment reaches the probes: LD_LIBRARY_PATH is part of the inventory's environment."""
    code, out, _ = run_cli(["doctor", "--root", str(tmp_path), "--env", "LD_LIBRARY_PATH=/opt/x/lib", "--json"])
    import json

    assert code in (0, 1) and json.loads(out)["inventory"]["env"].get("LD_LIBRARY_PATH") == "/opt/x/lib"
