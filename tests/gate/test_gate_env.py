"""gate reads the image's environment (config Env, then --env): a shadowing LD_LIBRARY_PATH there is found."""

from __future__ import annotations

import json

from tests.conftest import UBUNTU_2204_LIBC, UBUNTU_2204_OS_RELEASE, real_elf_header, run_cli
from tests.gate.imagebuild import docker_save
from tests.probes.nvidia.elfbuild import build_shared_object

SITE = "opt/venv/lib/python3.12/site-packages"
SYSTEM = "usr/lib/x86_64-linux-gnu"
SUBS = ("graph", "engines_precompiled", "engines_runtime_compiled", "heuristic", "ops", "cnn", "adv")
RPATH = "$ORIGIN/../../nvidia/cudnn/lib:$ORIGIN/../../nvidia/cu13/lib:$ORIGIN"
FLEET = 'fleet: 1\nname: t\nclasses:\n  - name: h100\n    vendor: nvidia\n    compute_capability: "9.0"\n    driver: "580.159.04"\n'


def layers():
    """torch 2.11.0+cu130 with its cuDNN 9.19 wheel, and a system cuDNN 9.14 (the H100 node's layout)."""
    base = {"etc/os-release": UBUNTU_2204_OS_RELEASE, "bin/sh": real_elf_header(),
            "lib/x86_64-linux-gnu/libc.so.6": UBUNTU_2204_LIBC}
    for sub in ("",) + tuple(f"_{s}" for s in SUBS):
        base[f"{SYSTEM}/libcudnn{sub}.so.9.14.0"] = b""
        base[f"{SYSTEM}/libcudnn{sub}.so.9"] = ("symlink", f"libcudnn{sub}.so.9.14.0")
    venv = {
        "opt/venv/pyvenv.cfg": "home = /usr/bin\nversion = 3.12.3\n", "opt/venv/bin/python3": b"",
        f"{SITE}/torch-2.11.0+cu130.dist-info/METADATA":
            "Metadata-Version: 2.1\nName: torch\nVersion: 2.11.0+cu130\n"
            "Requires-Dist: nvidia-cudnn-cu13==9.19.0.56; platform_system == \"Linux\"\n",
        f"{SITE}/nvidia_cudnn_cu13-9.19.0.56.dist-info/METADATA": "Metadata-Version: 2.1\nName: nvidia-cudnn-cu13\nVersion: 9.19.0.56\n",
        f"{SITE}/torch/lib/libtorch_cuda.so": build_shared_object(["libcudnn.so.9", "libc.so.6"], "libtorch_cuda.so", rpath=RPATH),
        f"{SITE}/nvidia/cudnn/lib/libcudnn.so.9": build_shared_object(["libc.so.6"], "libcudnn.so.9", runpath="$ORIGIN"),
    }
    for s in SUBS:
        venv[f"{SITE}/nvidia/cudnn/lib/libcudnn_{s}.so.9"] = b""
    return [base, venv]


def lib002(out: str) -> list[str]:
    [h100] = json.loads(out)["classes"]
    return [f["message"] for f in h100["findings"] if f["rule_id"] == "LIB002"]


def test_the_image_env_and_env_options_reach_the_loader_model(tmp_path):
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(FLEET)
    clean = docker_save(tmp_path / "clean.tar", layers(), ["PATH=/opt/venv/bin:/usr/bin:/bin"])
    shadowed = docker_save(tmp_path / "shadowed.tar", layers(),
                           ["PATH=/opt/venv/bin:/usr/bin:/bin", "LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu"])
    gate = ["gate", "--fleet", str(fleet), "--format", "json", "--image"]
    assert lib002(run_cli([*gate, str(clean)])[1]) == []
    [from_config] = lib002(run_cli([*gate, str(shadowed)])[1])
    assert "from /usr/lib/x86_64-linux-gnu (9.14.0) via LD_LIBRARY_PATH" in from_config and "(9.19.0.56)" in from_config
    [from_option] = lib002(run_cli([*gate, str(clean), "--env", "LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu"])[1])
    assert from_option == from_config
    assert lib002(run_cli([*gate, str(shadowed), "--env", "LD_LIBRARY_PATH="])[1]) == []
