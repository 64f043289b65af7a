"""The fix-it plan works as printed: run its commands in a throwaway environment, then ask the doctor again.

Each scenario builds a venv, installs small stand-in wheels (the real project names,
versions and file layouts; the libraries are short text files) made here into a local
folder, asks ``doctor --json`` for the plan, runs the printed commands with the package
index replaced by that folder (``--no-index --find-links``), and checks that the finding
is gone and no other appeared. Nothing is downloaded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
A100 = "NVIDIA A100-SXM4-80GB"


def wheel(folder: Path, name: str, version: str, files: dict[str, str] | None = None, requires: tuple[str, ...] = ()) -> None:
    """A minimal valid wheel: METADATA, WHEEL and a RECORD listing every file with its hash."""
    dist = f"{name.replace('-', '_')}-{version}"
    meta = "".join([f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
                    *(f"Requires-Dist: {r}\n" for r in requires)])
    entries = {**(files or {}), f"{dist}.dist-info/METADATA": meta,
               f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\nTag: py3-none-any\n"}
    record = []
    for path, text in entries.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}.dist-info/RECORD,,")
    with zipfile.ZipFile(folder / f"{dist}-py3-none-any.whl", "w") as z:
        for path, text in entries.items():
            z.writestr(path, text)
        z.writestr(f"{dist}.dist-info/RECORD", "\n".join(record) + "\n")


def nccl(folder: Path, major: str, version: str) -> None:
    # both generations install the same library path (the CUDA 13 node's site-packages: nvidia/nccl/lib/libnccl.so.2)
    wheel(folder, f"nvidia-nccl-cu{major}", version,
          {"nvidia/__init__.py": "", "nvidia/nccl/__init__.py": "", "nvidia/nccl/lib/libnccl.so.2": f"nccl {version}\n"})


def torch(folder: Path, version: str, requires: tuple[str, ...] = ()) -> None:
    wheel(folder, "torch", version, {"torch/__init__.py": f"__version__ = {version!r}\n"}, requires)


@pytest.fixture(scope="module")
def base_venv(tmp_path_factory) -> Path:
    """One venv with pip (no network: ensurepip's bundled wheel); each scenario copies it."""
    where = tmp_path_factory.mktemp("base") / "venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot create a venv with pip here: {exc}")
    return where


class Scenario:
    def __init__(self, base: Path, tmp: Path):
        self.venv = tmp / "venv"
        shutil.copytree(base, self.venv, symlinks=True)
        self.python = str(self.venv / "bin" / "python")
        self.wheels = tmp / "wheels"
        self.wheels.mkdir()
        self.assume: list[str] = []

    def install(self, *requirements: str, folder: Path | None = None) -> None:
        """Set the scene: install exactly these, without their dependencies."""
        self.pip("install", "--no-deps", "--no-index", "--find-links", str(folder or self.wheels), *requirements)

    def pip(self, *args: str) -> None:
        subprocess.run([self.python, "-m", "pip", "-q", "--disable-pip-version-check", *args], check=True,
                       capture_output=True, timeout=120)

    def doctor(self) -> dict:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("LD_LIBRARY_PATH", None)
        args = [sys.executable, "-m", "accelctl", "doctor", "--python", self.python, "--json"]
        for a in self.assume:
            args += ["--assume", a]
        out = subprocess.run(args, check=False, capture_output=True, text=True, env=env, timeout=120)
        assert out.returncode in (0, 1), out.stderr
        return json.loads(out.stdout)

    def run_fix(self, rule_id: str, alternative: str | None = None) -> list[str]:
        """Run the printed commands of the plan steps that fix ``rule_id`` (one alternative's, when named)."""
        report = self.doctor()
        ran = []
        for p in report["plan"]:
            step = p["step"]
            if not any(f.startswith(rule_id) for f in p["fixes"]):
                continue
            if step["alternative"] is not None and step["alternative"] != (alternative or step["alternative"]):
                continue
            if alternative is None and step["alternative"] is not None and not step["recommended"]:
                continue
            for command in step["commands"]:
                local = self.offline(command)
                out = subprocess.run(["sh", "-c", local], check=False, capture_output=True, text=True, timeout=120)
                assert out.returncode == 0, f"{command}\n{out.stderr}"
                ran.append(command)
        assert ran, f"no command fixes {rule_id}: {json.dumps(report['plan'], indent=1)}"
        return ran

    def run_script(self, rule_id: str) -> list[str]:
        """Run the steps of ``accelctl fix --script`` that fix ``rule_id``, as printed (package indexes made local).

        Only those steps: others may answer facts of the test machine (an nvcc on PATH), not of the scenario.
        """
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        args = [sys.executable, "-m", "accelctl", "fix", "--script", "--python", self.python]
        for a in self.assume:
            args += ["--assume", a]
        script = subprocess.run(args, check=True, capture_output=True, text=True, env=env, timeout=120).stdout
        header, *steps = script.split("\n\n")
        chosen = [step for step in steps if f"#    fixes: {rule_id}" in step]
        local = "\n\n".join([header, *("\n".join(line if line.startswith("#") else self.offline(line)
                                                  for line in step.splitlines()) for step in chosen)])
        out = subprocess.run(["sh", "-c", local], check=False, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, f"{script}\n{out.stderr}"
        return [line for step in chosen for line in step.splitlines() if line and not line.startswith("#")]

    def offline(self, command: str) -> str:
        """The printed command with its package indexes replaced by the local wheel folder."""
        command = re.sub(r" --(extra-)?index-url \S+", "", command)
        command = re.sub(r"(^|&& )uv pip install", rf"\1uv pip install --no-index --find-links {self.wheels}", command)
        return re.sub(r" -m pip install", rf" -m pip install --disable-pip-version-check --no-index --find-links {self.wheels}",
                      command)

    def rules(self) -> set[str]:
        return {f["rule_id"] for f in self.doctor()["findings"]}


@pytest.fixture
def scene(base_venv, tmp_path) -> Scenario:
    return Scenario(base_venv, tmp_path)


class UvScenario(Scenario):
    """An environment uv made and manages: it has no pip, so only a ``uv pip`` command can fix it."""

    def __init__(self, uv: str, tmp: Path):
        self.uv = uv
        self.venv = tmp / "venv"
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(self.venv)], check=True, capture_output=True,
                       timeout=120)
        self.python = str(self.venv / "bin" / "python")
        self.wheels = tmp / "wheels"
        self.wheels.mkdir()
        self.assume = []

    def install(self, *requirements: str) -> None:
        subprocess.run([self.uv, "pip", "install", "-q", "--python", self.python, "--no-deps", "--no-index", "--find-links",
                        str(self.wheels), *requirements], check=True, capture_output=True, timeout=120)


TORCH_251_PINS = ("nvidia-cublas-cu12==12.4.5.8", "nvidia-cudnn-cu12==9.1.0.70", "nvidia-nccl-cu12==2.21.5",
                  "nvidia-nvtx-cu12==12.4.127", "triton==3.1.0")  # a subset of the PyPI torch 2.5.1 wheel's pins


def test_pinned_wheels_install_in_one_command(scene: Scenario):
    torch(scene.wheels, "2.5.1", tuple(f'{p}; platform_system == "Linux"' for p in TORCH_251_PINS))
    wheel(scene.wheels, "nvidia-cublas-cu12", "12.4.5.8", {"nvidia/cublas/lib/libcublas.so.12": "cublas\n"})
    wheel(scene.wheels, "nvidia-cudnn-cu12", "9.1.0.70", {"nvidia/cudnn/lib/libcudnn.so.9": "cudnn 9.1.0\n"})
    wheel(scene.wheels, "nvidia-cudnn-cu12", "9.5.1.17", {"nvidia/cudnn/lib/libcudnn.so.9": "cudnn 9.5.1\n"})
    nccl(scene.wheels, "12", "2.21.5")
    wheel(scene.wheels, "nvidia-nvtx-cu12", "12.4.127", {"nvidia/nvtx/lib/libnvToolsExt.so.1": "nvtx\n"})
    wheel(scene.wheels, "triton", "3.1.0", {"triton/__init__.py": ""})
    scene.install("torch==2.5.1", "nvidia-cudnn-cu12==9.5.1.17")  # a newer cuDNN over the pin, the rest missing
    assert "LIB001" in scene.rules()
    [command] = scene.run_script("LIB001")  # the script, as `fix --script` prints it: one command for every pin
    assert all(p in command for p in TORCH_251_PINS)
    assert "LIB001" not in scene.rules()


def test_mixed_generations_keep_the_shared_nccl_file(scene: Scenario):
    torch(scene.wheels, "2.11.0+cu130", ('nvidia-nccl-cu13==2.28.9; platform_system == "Linux"',))
    nccl(scene.wheels, "13", "2.28.9")
    nccl(scene.wheels, "12", "2.21.5")
    scene.install("torch==2.11.0+cu130", "nvidia-nccl-cu13==2.28.9", "nvidia-nccl-cu12==2.21.5")
    before = scene.rules()
    assert "LIB003" in before
    scene.run_fix("LIB003")
    after = scene.rules()
    assert "LIB003" not in after and after <= before
    site = next((scene.venv / "lib").glob("python3*/site-packages"))
    assert (site / "nvidia/nccl/lib/libnccl.so.2").read_text() == "nccl 2.28.9\n"


def test_companion_moves_to_the_release_paired_with_torch(scene: Scenario):
    torch(scene.wheels, "2.6.0+cu124")
    wheel(scene.wheels, "torchvision", "0.20.1+cu124", {"torchvision/__init__.py": ""}, ("torch==2.5.1",))
    wheel(scene.wheels, "torchvision", "0.21.0+cu124", {"torchvision/__init__.py": ""}, ("torch==2.6.0",))
    scene.install("torch==2.6.0+cu124", "torchvision==0.20.1+cu124")
    before = scene.rules()
    assert "FW003" in before
    [command] = scene.run_fix("FW003")
    assert "--index-url https://download.pytorch.org/whl/cu124" in command and "torchvision==0.21.0+cu124" in command
    after = scene.rules()
    assert "FW003" not in after and after <= before


def test_old_driver_gets_the_build_plan_chooses(scene: Scenario):
    scene.assume = ["driver=535.104.05", f"gpu={A100}"]
    torch(scene.wheels, "2.11.0+cu130", ('nvidia-nccl-cu13==2.28.9; platform_system == "Linux"',))
    nccl(scene.wheels, "13", "2.28.9")
    torch(scene.wheels, "2.5.1+cu121", ('nvidia-nccl-cu12==2.21.5; platform_system == "Linux"',))
    nccl(scene.wheels, "12", "2.21.5")
    # an unsuffixed CUDA 13 toolkit wheel too (the node's layout: nvidia/cu13/lib)
    wheel(scene.wheels, "nvidia-cublas", "13.1.0.3", {"nvidia/cu13/lib/libcublas.so.13": "cublas 13.1\n"})
    scene.install("torch==2.11.0+cu130", "nvidia-nccl-cu13==2.28.9", "nvidia-cublas==13.1.0.3")
    before = scene.rules()
    assert "DRV001" in before
    [command] = scene.run_fix("DRV001", alternative="keep the driver")
    # what `accelctl plan torch --driver 535.104.05 --gpu A100` pins, from its own index
    assert "--index-url https://download.pytorch.org/whl/cu121" in command and "torch==2.5.1+cu121" in command
    after = scene.rules()
    # TK001 compares this machine's active nvcc (if any) with torch's CUDA: a fact of the test machine, not of the fix
    assert not after & {"DRV001", "LIB001", "LIB003", "FW003"} and after - {"TK001"} <= before


def test_uv_environment_gets_uv_commands(tmp_path):
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    scene = UvScenario(uv, tmp_path)
    torch(scene.wheels, "2.11.0+cu130", ('nvidia-nccl-cu13==2.28.9; platform_system == "Linux"',))
    nccl(scene.wheels, "13", "2.28.9")
    nccl(scene.wheels, "12", "2.21.5")
    scene.install("torch==2.11.0+cu130", "nvidia-nccl-cu13==2.28.9", "nvidia-nccl-cu12==2.21.5")
    before = scene.rules()
    [command] = scene.run_fix("LIB003")
    assert command.startswith(f"uv pip uninstall --python {scene.python} ") and "&& uv pip install" in command
    after = scene.rules()
    assert "LIB003" not in after and after <= before
    site = next((scene.venv / "lib").glob("python3*/site-packages"))
    assert (site / "nvidia/nccl/lib/libnccl.so.2").read_text() == "nccl 2.28.9\n"


def test_cpu_build_replaced_by_the_same_release_for_the_gpu(scene: Scenario, tmp_path):
    """``torch==2.9.1`` is satisfied by an installed 2.9.1+cpu (PEP 440 ignores the local label), so the fix reinstalls."""
    from accelctl.matrices import MatrixSet

    scene.assume = ["driver=580.159.04", "gpu=NVIDIA H100 80GB HBM3"]
    cpu = tmp_path / "cpu-index"  # the +cpu build comes from PyTorch's cpu index, which the fix does not use
    cpu.mkdir()
    torch(cpu, "2.9.1+cpu")
    scene.install("torch==2.9.1+cpu", folder=cpu)
    [build] = [b for b in MatrixSet().entries_or_empty("pytorch") if b.torch == "2.9.1" and b.pypi_default_linux_x86_64]
    pins = {name: spec.lstrip("=") for name, spec in (build.pins or {}).items()}
    torch(scene.wheels, "2.9.1", tuple(f'{n}=={v}; platform_system == "Linux"' for n, v in pins.items()))
    for name, version in pins.items():
        wheel(scene.wheels, name, version, {f"{name.replace('-', '_')}_stub.txt": f"{name} {version}\n"})
    before = scene.rules()
    assert "FW001" in before
    [command] = scene.run_fix("FW001")
    assert "--force-reinstall torch==2.9.1 " in command
    after = scene.rules()
    assert "FW001" not in after and not after & {"LIB001", "LIB003", "FW003"} and after - {"TK001"} <= before
    site = next((scene.venv / "lib").glob("python3*/site-packages"))
    assert [p.name for p in site.glob("torch-*.dist-info")] == ["torch-2.9.1.dist-info"]
