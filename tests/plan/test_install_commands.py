"""Install commands are written for the environment's own installer and name the index of local-version builds."""

from __future__ import annotations

import dataclasses

from accelctl.inventory.python_env import Distribution, PythonEnvironment
from accelctl.matrices import MatrixSet
from accelctl.plan.install import Want, install_command, remove_then_restore, uninstall_command, want


def env(installer: str = "pip", kind: str = "venv", names=(("torch", "2.6.0+cu124"), ("torchvision", "0.20.1+cu124"))):
    dists = [Distribution(n, v, installer=installer) for n, v in names]
    return PythonEnvironment("/envs/a/bin/python", "3.11.7", "cpython", kind, "/envs/a", distributions=dists)


def test_local_build_from_its_index_only_when_everything_comes_from_there():
    m = MatrixSet()
    both = [want(m, "torchvision", "0.21.0+cu124"), want(m, "torch", "2.6.0+cu124")]
    assert install_command(env(), both) == ("/envs/a/bin/python -m pip install --index-url https://download.pytorch.org/whl/cu124 "
                                            "torchvision==0.21.0+cu124 torch==2.6.0+cu124")
    mixed = [want(m, "torch", "2.6.0+cu124"), Want("vllm==0.8.0")]
    assert "--extra-index-url https://download.pytorch.org/whl/cu124" in install_command(env(), mixed)
    assert want(m, "torch", "2.6.0").index is None  # a release without a local tag: the default index


def test_uv_managed_environment_gets_uv_pip_with_its_python():
    e = env(installer="uv")
    assert install_command(e, [Want("nvidia-nccl-cu13==2.28.9")], reinstall=True, no_deps=True) == \
        "uv pip install --python /envs/a/bin/python --reinstall --no-deps nvidia-nccl-cu13==2.28.9"
    assert uninstall_command(e, ["nvidia-nccl-cu12"]) == "uv pip uninstall --python /envs/a/bin/python nvidia-nccl-cu12"


def test_conda_only_for_packages_conda_installed():
    e = env(installer="conda", kind="conda")
    assert install_command(e, [Want("torchvision==0.21.0+cu124")]) == "conda install --prefix /envs/a --yes torchvision==0.21.0"
    assert install_command(e, [Want("torch==2.6.0")]) == "conda install --prefix /envs/a --yes pytorch==2.6.0"
    # a wheel conda never installed goes through the environment's pip
    assert install_command(e, [Want("nvidia-nccl-cu12==2.21.5")]).startswith("/envs/a/bin/python -m pip install")


def test_uninstalling_a_wheel_restores_the_one_that_shares_its_folder():
    e = env(names=(("nvidia-nccl-cu12", "2.21.5"), ("nvidia-nccl-cu13", "2.28.9"), ("nvidia-cublas", "13.1.0.3")))
    assert remove_then_restore(e, ["nvidia-nccl-cu12"]) == (
        "/envs/a/bin/python -m pip uninstall -y nvidia-nccl-cu12 && "
        "/envs/a/bin/python -m pip install --force-reinstall --no-deps nvidia-nccl-cu13==2.28.9")
    # no other -cuNN wheel of the library: nothing to restore
    assert remove_then_restore(e, ["nvidia-cublas"]) == "/envs/a/bin/python -m pip uninstall -y nvidia-cublas"


def test_interpreter_path_is_quoted():
    e = dataclasses.replace(env(), interpreter="/my envs/a/bin/python")
    assert install_command(e, [Want("torch==2.6.0")]).startswith("'/my envs/a/bin/python' -m pip install")


def test_doctor_fix_for_an_old_driver_is_the_plan_for_that_node():
    from accelctl.plan.solve import solve
    from accelctl.plan.target import from_flags
    from tests.builders import make_inventory, run_rule

    inv = make_inventory(driver="535.104.05", gpus=[("NVIDIA A100-SXM4-80GB", "8.0")], python="3.11.7",
                         dists=[("torch", "2.11.0+cu130", []), ("torchvision", "0.26.0+cu130", ["torch==2.11.0"])])
    [finding] = run_rule("DRV001", inv)
    [switch] = [s for s in finding.fixes if s.alternative == "keep the driver"]
    m = MatrixSet()
    plan = solve(["torch", "torchvision"], [from_flags(m, "nvidia", "535.104.05", None, "8.0", None, None, None, "3.11", None,
                                                         "x86_64", lambda _: None)], m)
    assert all(f"{p.name}{p.spec}" in switch.commands[0] for p in plan.pins)
    assert "torch==2.5.1+cu121" in switch.commands[0] and "--index-url https://download.pytorch.org/whl/cu121" in switch.commands[0]
