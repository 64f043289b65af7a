"""The gate's acceptance case: a cu124 torch image against a fleet of four NVIDIA node classes."""

from __future__ import annotations

import json
import re

from tests.conftest import FIXTURES, UBUNTU_2204_LIBC, UBUNTU_2204_OS_RELEASE, real_elf_header, run_cli
from tests.gate.imagebuild import docker_save, oci_layout

# torch 2.5.1 from PyPI (the cu124 default build) with its real METADATA (tests/fixtures/envs/torch-cu124)
ENV_DIR = FIXTURES / "envs" / "torch-cu124"
# NVIDIA_REQUIRE_CUDA of nvidia/cuda:12.4.1-runtime-ubuntu22.04 (container_images matrix), first clauses
REQUIRE = "cuda>=12.4 brand=tesla,driver>=470,driver<471 brand=tesla,driver>=535,driver<536"

FLEET = """
fleet: 1
name: mixed
classes:
  - {name: h100-r550, vendor: nvidia, gpu: NVIDIA H100 80GB HBM3, driver: "550.54.15"}
  - {name: a100-r535, vendor: nvidia, gpu: NVIDIA A100-SXM4-80GB, driver: "535.104.05"}
  - {name: v100-r470, vendor: nvidia, gpu: Tesla V100-SXM2-16GB, driver: "470.256.02"}
  - {name: rtx5090-r570, vendor: nvidia, gpu: NVIDIA GeForce RTX 5090, driver: "570.86.10"}
"""


SITE = "opt/venv/lib/python3.11/site-packages"


def layers():
    venv = {}
    for path in ENV_DIR.rglob("*"):
        if path.is_file():
            venv[str(path.relative_to(ENV_DIR))] = path.read_bytes()
    # the NVIDIA wheels torch pins, installed at exactly the pinned versions (as `pip install torch` leaves them)
    meta = (ENV_DIR / SITE / "torch-2.5.1.dist-info" / "METADATA").read_text()
    for line in meta.splitlines():
        m = re.match(r"Requires-Dist: (nvidia-[a-z0-9-]+) \(?==([0-9.]+)", line)
        if m:
            name, version = m.groups()
            folder = f"{SITE}/{name.replace('-', '_')}-{version}.dist-info"
            venv[f"{folder}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    base = {"etc/os-release": UBUNTU_2204_OS_RELEASE, "bin/sh": real_elf_header(),
            "lib/x86_64-linux-gnu/libc.so.6": UBUNTU_2204_LIBC}
    return [base, venv]


ENV = ["PATH=/opt/venv/bin:/usr/local/nvidia/bin:/usr/bin:/bin", f"NVIDIA_REQUIRE_CUDA={REQUIRE}", "CUDA_VERSION=12.4.1"]


def verdicts(out: str):
    data = json.loads(out)
    return {c["name"]: (c["verdict"], sorted({f["rule_id"] for f in c["findings"] if f["severity"] != "info"}))
            for c in data["classes"]}


def test_cu124_image_against_the_fleet(tmp_path):
    image = docker_save(tmp_path / "app.tar", layers(), ENV)
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(FLEET)
    code, out, err = run_cli(["gate", "--fleet", str(fleet), "--image", str(image), "--format", "json"])
    assert code == 1, err  # required classes fail
    v = verdicts(out)
    # H100 on R550: CUDA 12.4 fully supported (needs 550.54.14), sm_90 is in the cu124 build; the R550 branch
    # itself is past end of life (NVIDIA lifecycle): a warning, not a failure
    assert v["h100-r550"] == ("runs-with-warnings", ["DRV003"])
    # A100 on R535 (CUDA 12.2): runs under minor-version compatibility; R535 is past end of life
    assert v["a100-r535"] == ("runs-with-warnings", ["DRV001", "DRV003"])
    # V100 on R470: below the CUDA 12.x floor (525.60.13)
    assert v["v100-r470"][0] == "fails" and "DRV001" in v["v100-r470"][1]
    # RTX 5090 (sm_120): the cu124 build has no kernels for it
    assert v["rtx5090-r570"][0] == "fails" and "ARCH001" in v["rtx5090-r570"][1]
    findings = {c["name"]: c["findings"] for c in json.loads(out)["classes"]}
    arch = next(f for f in findings["rtx5090-r570"] if f["rule_id"] == "ARCH001")
    assert "sm_120" in arch["message"]
    plan = next(c["plan"] for c in json.loads(out)["classes"] if c["name"] == "rtx5090-r570")
    # the fix installs a torch build whose architecture list has sm_120 (2.7+ CUDA 12.8 builds)
    from accelctl.matrices import MatrixSet
    from accelctl.matrices.subjects.pytorch import resolve_installed, supports_cc

    pins = [c.split("torch==", 1)[1].split()[0] for p in plan for c in p["step"]["commands"] if "torch==" in c]
    assert pins and supports_cc(resolve_installed(MatrixSet().entries("pytorch"), pins[0]), "12.0") is True


def test_oci_layout_and_docker_save_agree(tmp_path):
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(FLEET)
    save = docker_save(tmp_path / "app.tar", layers(), ENV)
    oci = oci_layout(tmp_path / "oci", layers(), ENV)
    outs = [run_cli(["gate", "--fleet", str(fleet), "--image", str(p), "--format", "json"])[1] for p in (save, oci)]
    assert verdicts(outs[0]) == verdicts(outs[1])
