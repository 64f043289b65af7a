"""The H100 node's case: the system cuDNN 9.14.0 first on LD_LIBRARY_PATH, torch 2.11.0+cu130 with cuDNN 9.19.0.56.

``import torch; torch.backends.cudnn.version()`` failed there with "compiled against (9, 19, 0) but
found runtime version (9, 14, 0)". libtorch_cuda.so finds the wheel's libcudnn.so.9 through its DT_RPATH,
but libcudnn.so.9 dlopens its sub-libraries itself, with its own DT_RUNPATH ``$ORIGIN`` (cuDNN 9 ships its
libraries with ``$ORIGIN``: pytorch/builder#1859, spack/spack-packages#3399), which ranks below
LD_LIBRARY_PATH. The fixture's libcudnn.so.9 is an empty file (the capture kept names only), so these
tests give it that dynamic section.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from accelctl.host.fixture import FixtureHost
from accelctl.probes.base import ProbeOptions
from accelctl.probes.collect import collect
from accelctl.probes.nvidia.loadplans import package_dir
from tests.builders import run_rule
from tests.conftest import run_cli
from tests.probes.nvidia.elfbuild import build_shared_object

HOSTS = Path(__file__).resolve().parents[2] / "fixtures" / "hosts"
SITE = "/opt/torch/.venv/lib/python3.12/site-packages"
SYSTEM = "/usr/lib/x86_64-linux-gnu"
NODE_LD_LIBRARY_PATH = "/usr/local/nvidia/lib64:/usr/local/nvidia/lib"
SUBS = ("libcudnn_graph.so.9", "libcudnn_engines_precompiled.so.9", "libcudnn_engines_runtime_compiled.so.9",
        "libcudnn_heuristic.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9", "libcudnn_adv.so.9")


TORCH_RPATH = ("$ORIGIN/../../nvidia/cudnn/lib:$ORIGIN/../../nvidia/nvshmem/lib:$ORIGIN/../../nvidia/nccl/lib:"
               "$ORIGIN/../../nvidia/cusparselt/lib:$ORIGIN/../../nvidia/cu13/lib:$ORIGIN")


def node_copy(tmp_path: Path, ld_library_path: str | None, extension: bool = False) -> Path:
    dest = tmp_path / "host"
    shutil.copytree(HOSTS / "h100-node", dest, symlinks=True)
    dispatcher = dest / "files" / SITE.lstrip("/") / "nvidia/cudnn/lib/libcudnn.so.9"
    dispatcher.write_bytes(build_shared_object(["libz.so.1", "libc.so.6"], "libcudnn.so.9", runpath="$ORIGIN"))
    if extension:  # torch._C and libtorch_python.so as the node has them (capture.txt's readelf for _C)
        torch = dest / "files" / SITE.lstrip("/") / "torch"
        (torch / "_C.cpython-312-x86_64-linux-gnu.so").write_bytes(
            build_shared_object(["libtorch_python.so", "libc.so.6"], None, rpath=TORCH_RPATH + ":$ORIGIN/lib"))
        (torch / "lib/libtorch_python.so").write_bytes(
            build_shared_object(["libtorch_cuda.so", "libc.so.6"], "libtorch_python.so", rpath=TORCH_RPATH))
    if ld_library_path is not None:
        env = json.loads((dest / "env.json").read_text())
        env["LD_LIBRARY_PATH"] = ld_library_path
        (dest / "env.json").write_text(json.dumps(env))
    return dest


def inventory(folder: Path):
    return collect(FixtureHost(str(folder)), ProbeOptions(command_timeout=5.0), mode="fixture")


def torch_alone(inv, soname: str):
    return next(r for r in inv.nvidia.resolutions if r.consumer == "torch" and not r.loaded_after and r.soname == soname)


@pytest.mark.parametrize("extension", [False, True], ids=["libtorch_cuda", "through torch._C"])
def test_system_folder_first_on_ld_library_path_shadows_the_cudnn_sub_libraries(tmp_path, extension):
    inv = inventory(node_copy(tmp_path, f"{SYSTEM}:{NODE_LD_LIBRARY_PATH}", extension))
    shim = torch_alone(inv, "libcudnn.so.9")
    assert (shim.resolved_path, shim.resolved_via, shim.shadowed) == (f"{SITE}/nvidia/cudnn/lib/libcudnn.so.9", "RPATH", False)
    for sub in SUBS:
        r = torch_alone(inv, sub)
        assert (r.resolved_path, r.resolved_version, r.resolved_via) == (f"{SYSTEM}/{sub}.14.0", "9.14.0", "LD_LIBRARY_PATH")
        assert (r.expected_path, r.expected_version, r.expected_via) == (f"{SITE}/nvidia/cudnn/lib/{sub}", "9.19.0.56", "RUNPATH")
        assert r.shadowed and r.how == "dlopen" and r.requested_by == f"{SITE}/nvidia/cudnn/lib/libcudnn.so.9"
        assert r.candidate_versions == {f"{SYSTEM}/{sub}.14.0": "9.14.0", f"{SITE}/nvidia/cudnn/lib/{sub}": "9.19.0.56"}
    findings = {f.subject: f for f in run_rule("LIB002", inv)}
    assert set(findings) == {"torch: cudnn", "jax: cudnn"}  # each import order adds nothing new
    message = findings["torch: cudnn"].message
    assert message.startswith(f"torch will load libcudnn_graph.so.9 and 6 more ({', '.join(SUBS[1:])}) "
                              f"from {SYSTEM} (9.14.0) via LD_LIBRARY_PATH, not the copies it pins in "
                              f"{SITE}/nvidia/cudnn/lib (9.19.0.56).")
    assert "ranks above DT_RUNPATH of libcudnn.so.9 ($ORIGIN)" in message
    assert "DT_RPATH of libtorch_cuda.so is not inherited" in message
    assert findings["torch: cudnn"].fixes[0].commands == [f"export LD_LIBRARY_PATH={NODE_LD_LIBRARY_PATH}"]


def test_the_node_as_captured_loads_every_cudnn_library_from_the_wheel(tmp_path):
    inv = inventory(node_copy(tmp_path, None))
    for sub in SUBS:
        r = torch_alone(inv, sub)
        assert (r.resolved_path, r.resolved_via, r.shadowed) == (f"{SITE}/nvidia/cudnn/lib/{sub}", "RUNPATH", False)
    assert run_rule("LIB002", inv) == []
    assert not [u for u in inv.unknowns if u.fact.startswith("nvidia.resolution")]
    assert not [r for r in inv.nvidia.resolutions if r.undecided]


def test_nccl_first_on_ld_library_path_does_not_win_over_the_rpath(tmp_path):
    """libnccl.so.2 is a NEEDED of libtorch_cuda.so, whose DT_RPATH ranks above LD_LIBRARY_PATH."""
    inv = inventory(node_copy(tmp_path, f"{SYSTEM}:{NODE_LD_LIBRARY_PATH}"))
    nccl = torch_alone(inv, "libnccl.so.2")
    assert (nccl.resolved_path, nccl.resolved_version, nccl.shadowed) == (f"{SITE}/nvidia/nccl/lib/libnccl.so.2", "2.28.9", False)
    assert f"{SYSTEM}/libnccl.so.2 (LD_LIBRARY_PATH)" in nccl.candidates


def test_jax_imported_first_decides_the_copy_torch_gets(tmp_path):
    """jax's plugin loads its NVIDIA wheels by path: a copy it loads first is the one torch gets."""
    inv = inventory(node_copy(tmp_path, None))
    after_jax = {r.soname: r for r in inv.nvidia.resolutions if r.consumer == "torch" and r.loaded_after == ["jax"]}
    assert after_jax["libcudnn.so.9"].resolved_via == "already loaded"
    assert after_jax["libcudnn.so.9"].resolved_path == f"{SITE}/nvidia/cudnn/lib/libcudnn.so.9"


def write_rootfs(tmp_path: Path) -> tuple[Path, Path]:
    """The node's files as an unpacked image, and the environment file its image config would carry."""
    host = node_copy(tmp_path, None)
    env_file = tmp_path / "node.env"
    env_file.write_text(f"# the node's image environment\nPATH=/opt/torch/.venv/bin:/usr/bin:/bin\n"
                        f"export LD_LIBRARY_PATH='{NODE_LD_LIBRARY_PATH}'\n")
    return host / "files", env_file


def test_root_with_env_reports_the_shadowing_and_without_it_does_not(tmp_path):
    rootfs, env_file = write_rootfs(tmp_path)
    base = ["doctor", "--root", str(rootfs), "--env", str(env_file), "--select", "LIB002", "--json"]
    code, out, _ = run_cli(base)
    assert code == 0 and json.loads(out)["findings"] == []
    code, out, _ = run_cli([*base, "--env", f"LD_LIBRARY_PATH={SYSTEM}:{NODE_LD_LIBRARY_PATH}"])
    findings = json.loads(out)["findings"]
    assert code == 1 and {f["rule_id"] for f in findings} == {"LIB002"}
    assert any(f["subject"] == "torch: cudnn" and "9.14.0" in f["message"] and "9.19.0.56" in f["message"]
               for f in findings)


def test_an_older_cudnn_wheel_earlier_on_pythonpath_reaches_jax_and_then_torch(tmp_path):
    """jax loads nvidia/cudnn from the first sys.path folder holding it; torch imported after it gets that copy."""
    folder = node_copy(tmp_path, None)
    old = folder / "files/opt/old/nvidia/cudnn/lib"
    old.mkdir(parents=True)
    (old / "libcudnn.so.9").symlink_to(f"{SYSTEM}/libcudnn.so.9.14.0")
    env = json.loads((folder / "env.json").read_text())
    env["PYTHONPATH"] = "/opt/old"
    (folder / "env.json").write_text(json.dumps(env))
    inv = inventory(folder)
    jax = next(r for r in inv.nvidia.resolutions if r.consumer == "jax" and not r.loaded_after and r.soname == "libcudnn.so.9")
    assert (jax.resolved_path, jax.resolved_version, jax.resolved_via, jax.shadowed) == (
        f"{SYSTEM}/libcudnn.so.9.14.0", "9.14.0", "path", True)
    torch = next(r for r in inv.nvidia.resolutions if r.consumer == "torch" and r.loaded_after == ["jax"]
                 and r.soname == "libcudnn.so.9")
    assert (torch.resolved_path, torch.resolved_via, torch.shadowed) == (f"{SYSTEM}/libcudnn.so.9.14.0", "already loaded", True)
    subjects = {f.subject for f in run_rule("LIB002", inv)}
    assert {"jax: cudnn", "torch (imported after jax): cudnn"} <= subjects
    assert "torch: cudnn" not in subjects


def test_a_regular_nvidia_package_in_site_packages_hides_the_earlier_folder():
    """With site-packages/nvidia/__init__.py, ``nvidia`` is a regular package there and PYTHONPATH's folder is not used."""
    files = {"/old/nvidia/cudnn/lib/libcudnn.so.9", f"{SITE}/nvidia/cudnn/lib/libcudnn.so.9"}
    dirs = {"/old/nvidia", "/old/nvidia/cudnn", f"{SITE}/nvidia", f"{SITE}/nvidia/cudnn"}
    assert package_dir(["/old", SITE], ("nvidia", "cudnn"), files.__contains__, dirs.__contains__) == "/old/nvidia/cudnn"
    files.add(f"{SITE}/nvidia/__init__.py")
    assert package_dir(["/old", SITE], ("nvidia", "cudnn"), files.__contains__, dirs.__contains__) == f"{SITE}/nvidia/cudnn"
