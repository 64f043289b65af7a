"""CUDA rules against the bundled matrices: each fires on its scenario and stays silent on a healthy one."""

from __future__ import annotations

import dataclasses

from accelctl.inventory.nvidia import ContainerRuntimeView, CudaToolkit
from accelctl.matrices import MatrixSet
from accelctl.rules import by_id, check_rules
from accelctl.rules.base import RuleContext, RuleOptions
from tests.builders import H100, TORCH_2_11_CU130_PINS, make_inventory, run_rule

A100 = ("NVIDIA A100-SXM4-80GB", "8.0")
RTX5090 = ("NVIDIA GeForce RTX 5090", "12.0")


def test_drv001_silent_when_the_driver_fully_supports_the_runtime():
    inv = make_inventory(driver="580.159.04", gpus=[H100], dists=[("torch", "2.11.0+cu130", TORCH_2_11_CU130_PINS)])
    assert run_rule("DRV001", inv) == []


def test_drv001_minor_version_compatibility_is_a_warning():
    # CUDA 12.4 wants 550.54.14 for full features (CUDA release notes); 535 is above the 12.x floor 525.60.13
    inv = make_inventory(driver="535.104.05", gpus=[A100], dists=[("torch", "2.5.1+cu124", [])])
    [f] = run_rule("DRV001", inv)
    assert f.severity == "warning"
    assert "runs under minor-version compatibility" in f.message and "550.54.14" in f.message
    assert "PTX" in f.message


def test_drv001_new_major_on_an_old_driver_is_an_error_with_both_alternatives():
    inv = make_inventory(driver="535.104.05", gpus=[A100], dists=[("torch", "2.11.0+cu130", TORCH_2_11_CU130_PINS)])
    [f] = run_rule("DRV001", inv)
    assert f.severity == "error" and "cannot run torch 2.11.0+cu130" in f.message
    alternatives = {s.alternative for s in f.fixes}
    assert alternatives == {"keep the driver", "upgrade the driver"}
    keep = next(s for s in f.fixes if s.alternative == "keep the driver")
    assert "torch==" in keep.commands[0] and keep.recommended


def test_arch001_blackwell_on_a_cu124_wheel():
    # torch 2.5.1 cu124 was built for 5.0 ... 9.0 (pytorch/builder release/2.5 build_cuda.sh): nothing for sm_120
    inv = make_inventory(driver="570.86.10", gpus=[RTX5090], dists=[("torch", "2.5.1+cu124", [])])
    [f] = run_rule("ARCH001", inv)
    assert "no kernels for NVIDIA GeForce RTX 5090 (sm_120)" in f.message
    assert f.fixes and "cu12" in " ".join(f.fixes[0].commands + [f.fixes[0].title])


def test_arch001_silent_when_the_arch_is_covered():
    inv = make_inventory(driver="550.54.15", gpus=[H100], dists=[("torch", "2.5.1+cu124", [])])
    assert run_rule("ARCH001", inv) == []


def test_arch001_uses_the_scanned_architectures_when_present():
    inv = make_inventory(driver="580.159.04", gpus=[("Tesla P100-PCIE-16GB", "6.0")], dists=[("torch", "2.11.0+cu130", [])])
    env = inv.python[0]
    fw = dataclasses.replace(env.frameworks[0], compiled_archs=["sm_75", "sm_80", "sm_90", "sm_100", "sm_120"], archs_source="fatbin scan")
    inv = dataclasses.replace(inv, python=[dataclasses.replace(env, frameworks=[fw])])
    [f] = run_rule("ARCH001", inv)
    assert "sm_60" in f.message and f.evidence[1].source == "fatbin scan"


REQUIRE_13 = {"NVIDIA_REQUIRE_CUDA": "cuda>=13.0 brand=tesla,driver>=535,driver<536", "CUDA_VERSION": "13.0.2"}


def test_ctr001_image_needs_a_newer_cuda_than_the_driver():
    inv = make_inventory(driver="550.54.15", gpus=[H100], image_env={"NVIDIA_REQUIRE_CUDA": "cuda>=13.0"})
    [f] = run_rule("CTR001", inv)
    assert "requires cuda>=13.0" in f.message and "refuse to start" in f.message


def test_ctr001_disabled_check_is_said():
    env = {"NVIDIA_REQUIRE_CUDA": "cuda>=13.0", "NVIDIA_DISABLE_REQUIRE": "true"}
    [f] = run_rule("CTR001", make_inventory(driver="550.54.15", gpus=[H100], image_env=env))
    assert "NVIDIA_DISABLE_REQUIRE is set" in f.message


def test_ctr001_silent_on_the_h100_node_image():
    # the real H100 node: driver 580.159.04 (CUDA 13.0) with an image requiring cuda>=13.0
    assert run_rule("CTR001", make_inventory(driver="580.159.04", cuda_driver="13.0", gpus=[H100], image_env=REQUIRE_13)) == []


def test_ctr002_old_compat_libcuda_in_use():
    inv = make_inventory(driver="580.159.04", gpus=[H100])
    view = ContainerRuntimeView(compat_libcuda="/usr/local/cuda/compat/libcuda.so.575.51.03", compat_version="575.51.03",
                                compat_in_use=True, compat_ok=False,
                                compat_detail="compat libcuda 575.51.03 is older than the host driver 580.159.04")
    inv = dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, container=view))
    [f] = run_rule("CTR002", inv)
    assert "older than the host driver" in f.message


def test_tk001_toolkit_major_differs_from_torch():
    inv = make_inventory(driver="580.159.04", gpus=[H100], dists=[("torch", "2.5.1+cu124", [])])
    tk = CudaToolkit(path="/usr/local/cuda-13.0", version="13.0.88", active=True, active_because="CUDA_HOME")
    inv = dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, toolkits=[tk]))
    [f] = run_rule("TK001", inv)
    # only extension builds use the active nvcc: a warning, never an error (issue 21, item 3)
    assert f.severity == "warning" and "nvidia-cuda-nvcc-cu12==12.4.*" in f.fixes[0].commands[0]
    assert "building CUDA extensions here will fail" in f.message and "running torch is not affected" in f.message
    tk_ok = dataclasses.replace(tk, version="12.4.131")
    ok = dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, toolkits=[tk_ok]))
    assert run_rule("TK001", ok) == []


def test_drv004_nvswitch_without_fabric_manager():
    inv = make_inventory(driver="550.54.15", gpus=[H100] * 8)
    inv = dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, nvswitch_present=True))
    [f] = run_rule("DRV004", inv)
    assert "fabric manager is not installed" in f.message
    assert f.fixes[0].commands[0] == "sudo apt-get install -y nvidia-fabricmanager-550=550.54.15-1"
    d = dataclasses.replace(inv.nvidia.driver, fabric_manager_version="550.54.15")
    ok = dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, driver=d))
    assert run_rule("DRV004", ok) == []


def test_drv003_r535_is_past_end_of_life_in_late_2026():
    import datetime as dt

    from accelctl.matrices import MatrixSet
    from accelctl.rules import by_id, run_rules
    from accelctl.rules.base import RuleContext, RuleOptions

    inv = make_inventory(driver="535.104.05", gpus=[A100])
    # R535 end of life: June 2026 (NVIDIA data-center driver lifecycle, via the nvidia_driver_branches matrix)
    late = run_rules(RuleContext(inv, MatrixSet(), RuleOptions(today=dt.date(2026, 11, 22))), [by_id()["DRV003"]])
    assert len(late) == 1 and "R535" in late[0].message and "2026-06-30" in late[0].message
    early = run_rules(RuleContext(inv, MatrixSet(), RuleOptions(today=dt.date(2025, 1, 1))), [by_id()["DRV003"]])
    assert early == []


def test_drv005_blackwell_on_r535():
    [f] = run_rule("DRV005", make_inventory(driver="535.104.05", gpus=[RTX5090]))
    assert f.message == "NVIDIA GeForce RTX 5090 (sm_120) needs driver 570.26 or newer; the driver is 535.104.05."
    assert run_rule("DRV005", make_inventory(driver="570.86.10", gpus=[RTX5090])) == []


def test_tk002_host_gcc_newer_than_the_toolkit_supports():
    # CUDA 12.4's host_config.h (nvidia-cuda-nvcc-cu12 12.4.131 wheel): "#if __GNUC__ > 13" -> unsupported
    inv = make_inventory(driver="580.159.04", gpus=[H100])
    tk = CudaToolkit(path="/usr/local/cuda-12.4", version="12.4.131", active=True, active_because="CUDA_HOME",
                     host_gcc="14.2.0", host_gcc_source="gcc on PATH (/usr/bin/gcc -dumpfullversion)")
    inv = dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, toolkits=[tk]))
    [f] = run_rule("TK002", inv)
    assert f.severity == "warning" and "up to 13" in f.message and "GCC 14.2.0" in f.message
    assert "export NVCC_CCBIN=/usr/bin/gcc-13" in f.fixes[0].commands
    at_max = dataclasses.replace(tk, host_gcc="13", host_gcc_source="NVCC_CCBIN=gcc-13 (file name)")
    assert run_rule("TK002", dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, toolkits=[at_max]))) == []
    unknown = dataclasses.replace(tk, version="11.2.152")  # no max known for 11.2: silent
    assert run_rule("TK002", dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, toolkits=[unknown]))) == []


def test_arch001_judges_an_aarch64_node_by_the_aarch64_wheel():
    """PyPI torch 2.11.0 for aarch64 carries SASS for 8.0, 9.0, 10.0, 11.0, 12.0 only (pytorch matrix,
    from the wheel's fatbins): a Turing GPU (sm_75) that the x86_64 wheel covers has no kernels there."""
    import dataclasses

    turing = ("Turing GPU", "7.5")
    x86 = make_inventory(driver="580.159.04", gpus=[turing], dists=[("torch", "2.11.0", TORCH_2_11_CU130_PINS)])
    env = x86.python[0]
    # what the probe derives for a plain "2.11.0" (no local tag): the PyPI default build, CUDA 13.0
    fw = dataclasses.replace(env.frameworks[0], runtime_kind="cuda", runtime_version="13.0", variant="cu130")
    x86 = dataclasses.replace(x86, python=[dataclasses.replace(env, frameworks=[fw])])
    assert run_rule("ARCH001", x86) == []
    arm = dataclasses.replace(x86, os=dataclasses.replace(x86.os, arch="aarch64"))
    [f] = run_rule("ARCH001", arm)
    assert "sm_75" in f.message and "8.0, 9.0, 10.0, 11.0, 12.0" in f.message
    assert "aarch64 wheel" in f.evidence[1].source
    # Grace Hopper (sm_90) is covered by the aarch64 wheel
    gh = dataclasses.replace(arm, nvidia=dataclasses.replace(arm.nvidia, gpus=[dataclasses.replace(arm.nvidia.gpus[0], compute_capability="9.0")]))
    assert run_rule("ARCH001", gh) == []


def _compat_in_use(inv, version, ok, detail=""):
    view = ContainerRuntimeView(compat_libcuda=f"/usr/local/cuda/compat/libcuda.so.{version}", compat_version=version,
                                compat_in_use=True, compat_ok=ok, compat_detail=detail)
    return dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, container=view))


def test_ctr002_compat_package_on_a_branch_nvidias_table_does_not_support():
    """cuda-compat-13-4 (built from branch 615) lists 535, 570, 580, 590, 595, 610 as compatible: R550 is not one.

    https://docs.nvidia.com/deploy/cuda-compatibility/forward-compatibility.html (cuda_forward_compat matrix).
    The probe alone, seeing a compat libcuda newer than the host driver on a data-center GPU, found no problem.
    """
    inv = _compat_in_use(make_inventory(driver="550.163.01", gpus=[H100]), "615.31.01", True)
    [f] = run_rule("CTR002", inv)
    assert f.severity == "warning" and "550" in f.message and "not a supported target" in f.message


def test_ctr002_matrix_decides_what_the_probe_left_open():
    """Brand unknown to the probe; the table and the GPU's name settle it: an H100 on R580 may use cuda-compat-13-4."""
    inv = _compat_in_use(make_inventory(driver="580.159.04", gpus=[H100]), "615.31.01", None, "GPU brand unknown")
    outcome = check_rules(RuleContext(inv, MatrixSet(), RuleOptions()), [by_id()["CTR002"]])
    assert outcome.findings == [] and outcome.undecided == []
    geforce = _compat_in_use(make_inventory(driver="580.159.04", gpus=[("NVIDIA GeForce RTX 4090", "8.9")]),
                             "615.31.01", None, "GPU brand unknown")
    [f] = run_rule("CTR002", geforce)
    assert f.severity == "error" and "geforce" in f.message
