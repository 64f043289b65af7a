"""Conda environments (conda-meta records) and the user site-packages, as the doctor sees them."""

from __future__ import annotations

import json

import pytest

from accelctl.doctor import Diagnosis, Source, diagnose, gather
from accelctl.host.filesystem import FileSystemHost
from accelctl.probes.base import ProbeContext, ProbeOptions
from accelctl.probes.conda_meta import build_runtime, parse_record_name, short_channel
from accelctl.probes.python_env import probe
from accelctl.report import renderer
from tests.conftest import FIXTURES, make_tree

CONDA = "/opt/conda/envs/ml"


@pytest.mark.parametrize("build, expected", [
    ("py3.11_cuda12.1_cudnn8.9.2_0", ("12.1", "8.9.2", False)),  # pytorch channel (bitsandbytes#89's conda list)
    ("py3.9_cpu_0", (None, None, True)),
    ("cuda120_py311h4f1e7e0_300", ("12.0", None, False)),  # conda-forge packs the CUDA version
    ("cuda118py311h3d7a2a8_0", ("11.8", None, False)),
    ("cpu_mkl_py311h8e6b3b6_100", (None, None, True)),
    ("cuda12_0", ("12", None, False)),  # a cuDNN build for CUDA 12
    ("h955ad1f_0", (None, None, False)),
    ("0", (None, None, False)),
])
def test_build_strings_say_cuda_and_cudnn(build, expected):
    assert build_runtime(build) == expected


def test_record_file_names_and_channels():
    assert parse_record_name("pytorch-cuda-12.1-ha16c6d3_5.json") == ("pytorch-cuda", "12.1", "ha16c6d3_5")
    assert parse_record_name("history") is None and parse_record_name("x-1.json") is None
    assert short_channel("https://example.org/conda-forge/linux-64") == "conda-forge"
    assert short_channel("https://example.org/pkgs/main/noarch") == "pkgs/main"
    assert short_channel("pytorch") == "pytorch"


def test_conda_fixture_records_the_stack_and_its_builds():
    inv = gather(Source(fixture=str(FIXTURES / "hosts" / "conda-pytorch-cu121")))
    [env] = inv.python
    assert (env.kind, env.prefix, env.selected_because) == ("conda", CONDA, "$CONDA_PREFIX")
    assert (env.version, env.version_source) == ("3.11.8", "conda-meta")
    packages = {p.name: p for p in env.conda_packages}
    assert "filelock" not in packages and "zlib" not in packages  # only the accelerator stack is kept
    torch = packages["pytorch"]
    assert (torch.version, torch.build, torch.channel, torch.build_cuda, torch.build_cudnn) == (
        "2.2.2", "py3.11_cuda12.1_cudnn8.9.2_0", "pytorch", "12.1", "8.9.2")
    assert (packages["pytorch-cuda"].version, packages["libcublas"].channel) == ("12.1", "nvidia")
    [fw] = env.frameworks  # torch/version.py and the build string agree
    assert (fw.runtime_kind, fw.runtime_version) == ("cuda", torch.build_cuda)
    assert not [u for u in inv.unknowns if u.fact.startswith("python")]
    # the snapshot keeps them
    again = json.loads(inv.to_json())["python"][0]["conda_packages"]
    assert {p["name"] for p in again} == set(packages)


def _conda_tree(tmp_path, records: dict[str, bytes | str], extra: dict | None = None):
    files: dict[str, str | bytes | None] = {f"{CONDA}/bin/python3.11": None,
                                            f"{CONDA}/lib/python3.11/site-packages/.keep": None}
    files.update({f"{CONDA}/conda-meta/{name}": data for name, data in records.items()})
    files.update(extra or {})
    return make_tree(tmp_path / "r", files, links={f"{CONDA}/bin/python": "python3.11"})


def test_a_bad_record_is_an_unknown_and_keeps_its_package(tmp_path):
    good = json.dumps({"name": "cudatoolkit", "version": "11.8.0", "build": "h6a678d5_0", "channel": "pkgs/main",
                       "depends": ["__glibc >=2.17,<3.0.a0", "cuda-version >=11.8,<11.9"]})
    root = _conda_tree(tmp_path, {
        "cudatoolkit-11.8.0-h6a678d5_0.json": good,
        "cudnn-8.9.2.26-cuda11_0.json": '{"name": "cudnn", "version": "8.9.2.26", "build": "cu',  # truncated
        "nccl-2.18.3.1-h6103f9b_0.json": '{"name": "nccl", "version": "1", "build": "h"}',  # names another version
        "pytorch-2.1.0-py3.11_cuda12.1_cudnn8.9.2_0.json": b"\xff\xfe not text",
    })
    ctx = ProbeContext(FileSystemHost(str(root), env={"CONDA_PREFIX": CONDA}), ProbeOptions(), "python")
    [env] = probe(ctx)
    packages = {p.name: p for p in env.conda_packages}
    assert sorted(packages) == ["cudatoolkit", "cudnn", "nccl", "pytorch"]
    assert packages["cudatoolkit"].cuda_depends == ["cuda-version >=11.8,<11.9"]
    assert (packages["cudnn"].channel, packages["cudnn"].build_cuda) == (None, "11")  # from its file name
    assert packages["pytorch"].build_cuda == "12.1"
    reasons = {u.fact: u.reason for u in ctx.unknowns}
    assert "truncated JSON" in reasons["python.conda.cudnn"]
    assert "not its file's nccl 2.18.3.1" in reasons["python.conda.nccl"]
    assert "not UTF-8" in reasons["python.conda.pytorch"]


def test_an_oversized_record_is_not_read(tmp_path, monkeypatch):
    from accelctl.probes import conda_meta

    big = json.dumps({"name": "pytorch", "version": "2.1.0", "build": "py3.11_cpu_0",
                      "files": ["x" * 100] * 2000})
    root = _conda_tree(tmp_path, {"pytorch-2.1.0-py3.11_cpu_0.json": big})
    ctx = ProbeContext(FileSystemHost(str(root), env={"CONDA_PREFIX": CONDA}), ProbeOptions(), "python")
    monkeypatch.setattr(conda_meta, "_RECORD_LIMIT", 1000)
    [env] = probe(ctx)
    assert env.conda_packages[0].cpu_build and env.conda_packages[0].channel is None
    assert "larger than a package record may be" in ctx.unknowns[0].reason


USER = "/home/u/.local/lib/python3.11/site-packages"


def _user_tree(tmp_path, cfg: str | None):
    """A conda env (or a venv with ``cfg``) with a CUDA torch, and a CPU torch from `pip install --user`."""
    files: dict[str, str | bytes | None] = {
        f"{USER}/torch-2.2.2+cpu.dist-info/METADATA": "Name: torch\nVersion: 2.2.2+cpu\n",
        f"{USER}/torch-2.2.2+cpu.dist-info/INSTALLER": "pip\n",
    }
    if cfg is None:
        return _conda_tree(tmp_path, {"python-3.11.8-h955ad1f_0.json": "{}"}, {
            **files, f"{CONDA}/lib/python3.11/site-packages/torch-2.2.2.dist-info/METADATA": "Name: torch\nVersion: 2.2.2\n"})
    return make_tree(tmp_path / "r", {**files, "/v/pyvenv.cfg": cfg, "/v/bin/python": None,
                                      "/v/lib/python3.11/site-packages/torch-2.2.2.dist-info/METADATA":
                                          "Name: torch\nVersion: 2.2.2\n"})


@pytest.mark.parametrize("cfg, env, user", [
    (None, {}, True),  # a conda env is no venv: site.py adds the user site
    (None, {"PYTHONNOUSERSITE": "1"}, False),
    (None, {"PYTHONUSERBASE": "/elsewhere"}, False),
    ("home = /usr/bin\nversion = 3.11.8\n", {}, False),  # a venv hides it ...
    ("home = /usr/bin\nversion = 3.11.8\ninclude-system-site-packages = true\n", {}, True),  # ... unless made with it
])
def test_user_site_follows_site_py(tmp_path, cfg, env, user):
    root = _user_tree(tmp_path, cfg)
    variables = {"HOME": "/home/u", **env, **({"CONDA_PREFIX": CONDA} if cfg is None else {"VIRTUAL_ENV": "/v"})}
    [penv] = probe(ProbeContext(FileSystemHost(str(root), env=variables), ProbeOptions(), "python"))
    marked = [(d.version, d.user_site) for d in penv.distributions if d.name == "torch"]
    assert marked == ([("2.2.2", False), ("2.2.2+cpu", True)] if user else [("2.2.2", False)])
    assert penv.user_site == (USER if user else None)
    assert (penv.user_site_off is None) == user
    if user:  # the copy Python imports is the user's: the frameworks are described from it
        assert [fw.version for fw in penv.frameworks if fw.name == "torch"] == ["2.2.2+cpu"]


def test_report_header_names_the_user_site(tmp_path):
    root = _user_tree(tmp_path, None)
    inv = gather(Source(root=str(root), env={"HOME": "/home/u", "CONDA_PREFIX": CONDA}))
    text = renderer("text")(diagnose(inv, Diagnosis()))
    assert f"{USER}: 1 distribution(s), imported first" in text


def _with_user_copies(inv, env_kind: str, user: dict[str, str]):
    """``inv`` with its environment of ``env_kind`` and distributions ``user`` in the user site-packages."""
    import dataclasses

    from accelctl.inventory.python_env import Distribution

    [env] = inv.python
    extra = [Distribution(n, v, location=f"/home/u/.local/lib/python3.11/site-packages/{n}-{v}.dist-info",
                          installer="pip", user_site=True) for n, v in user.items()]
    env = dataclasses.replace(env, kind=env_kind, user_site="/home/u/.local/lib/python3.11/site-packages",
                              distributions=[*env.distributions, *extra])
    return dataclasses.replace(inv, python=[env])


def test_py003_user_site_torch_shadows_the_environments():
    """micro-sam#953: a conda env (micro-sam4) imported torch from the user site-packages
    (`torch.library has no attribute register_fake`); Clover-Edition#128: torch 1.1.0 in
    ~/.local/lib/python3.7/site-packages shadowed the install the user had just made."""
    from tests.builders import make_inventory, run_rule

    base = make_inventory(dists=[("torch", "2.5.1+cu124", [])], frameworks=("torch",))
    [f] = run_rule("PY003", _with_user_copies(base, "conda", {"torch": "2.2.2"}))
    assert f.severity == "warning" and "torch 2.2.2 in the user site-packages" in f.message
    assert "-m pip uninstall --yes torch" in f.fixes[0].commands[0]
    assert f.fixes[1].commands == ["conda env config vars set PYTHONNOUSERSITE=1 --prefix /venv"]
    # the user copy of an NVIDIA library wheel counts too; the same version, or a package of no accelerator, does not
    assert run_rule("PY003", _with_user_copies(
        make_inventory(dists=[("nvidia-cudnn-cu12", "9.1.0.70", [])]), "system", {"nvidia-cudnn-cu12": "8.9.2.26"}))
    assert run_rule("PY003", _with_user_copies(base, "conda", {"torch": "2.5.1+cu124"})) == []
    assert run_rule("PY003", _with_user_copies(
        make_inventory(dists=[("requests", "2.32.0", [])]), "conda", {"requests": "2.0.0"})) == []
    assert run_rule("PY003", base) == []  # no user site-packages


def test_py003_end_to_end_on_a_conda_env(tmp_path):
    root = _user_tree(tmp_path, None)
    inv = gather(Source(root=str(root), env={"HOME": "/home/u", "CONDA_PREFIX": CONDA}))
    report = diagnose(inv, Diagnosis(select=["PY003"]))
    assert [f.rule_id for f in report.findings] == ["PY003"]
    inv = gather(Source(root=str(root), env={"HOME": "/home/u", "CONDA_PREFIX": CONDA, "PYTHONNOUSERSITE": "1"}))
    assert diagnose(inv, Diagnosis(select=["PY003"])).findings == []


def test_the_conda_interpreters_rpath_puts_the_envs_lib_on_the_loader_path():
    """conda's python carries DT_RPATH $ORIGIN/../lib: a library loaded by a module without paths of its own
    (ctypes, a dlopen from the program) is found in the env's lib/ before LD_LIBRARY_PATH and the linker cache."""
    from accelctl.host.fixture import FixtureHost
    from accelctl.probes.nvidia.elf import read_elf_dynamic
    from accelctl.probes.nvidia.resolution import LoadedObject, LoadRequest, simulate

    host = FixtureHost(str(FIXTURES / "hosts" / "conda-pytorch-cu121"))
    [env] = probe(ProbeContext(host, ProbeOptions(), "python"))
    python = host.realpath(env.interpreter)
    executable = LoadedObject(python, read_elf_dynamic(host, python))
    assert executable.rpath == ["$ORIGIN/../lib"]
    [load] = simulate([LoadRequest("libcublas.so.12")], host.exists, lambda path: None,
                      {"LD_LIBRARY_PATH": "/usr/local/cuda/lib64"}, None, host.realpath, executable=executable)
    assert (load.path, load.via) == (f"{CONDA}/lib/libcublas.so.12", "RPATH")
