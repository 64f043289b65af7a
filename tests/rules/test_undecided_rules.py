"""Rules that apply but lack a deciding fact say so (undecided), and decide once the fact is there."""

from __future__ import annotations

import dataclasses

import pytest

from accelctl.inventory.nvidia import ContainerRuntimeView, CudaToolkit
from accelctl.matrices import MatrixSet
from accelctl.rules import all_rules, by_id, check_rules
from accelctl.rules.base import RuleContext, RuleOptions
from tests.builders import H100, make_inventory

UNKNOWN_GPU = ("NVIDIA GPU unknown to the matrices", None)
TORCH_CU130 = [("torch", "2.11.0+cu130", [])]


def outcome(rule_id, inv):
    return check_rules(RuleContext(inv, MatrixSet(), RuleOptions()), [by_id()[rule_id]])


def nvidia(inv, **changes):
    return dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, **changes))


def no_driver_version(inv):
    return nvidia(inv, driver=dataclasses.replace(inv.nvidia.driver, version=None, kernel_module_version=None,
                                                  libcuda_version=None))


CASES = {
    # rule: (inventory where a deciding fact is unknown, the fact named, the same with the fact known)
    "ARCH001": (make_inventory(driver="580.159.04", gpus=[UNKNOWN_GPU], dists=TORCH_CU130), "compute capability",
                make_inventory(driver="580.159.04", gpus=[H100], dists=TORCH_CU130)),
    "DRV005": (make_inventory(driver="580.159.04", gpus=[UNKNOWN_GPU]), "compute capability",
               make_inventory(driver="580.159.04", gpus=[H100])),
    "DRV001": (no_driver_version(make_inventory(driver="580.159.04", gpus=[H100], dists=TORCH_CU130)), "driver version",
               make_inventory(driver="580.159.04", gpus=[H100], dists=TORCH_CU130)),
    "DRV003": (no_driver_version(make_inventory(driver="580.159.04", gpus=[H100])), "driver version",
               make_inventory(driver="580.159.04", gpus=[H100])),
    "PY001": (make_inventory(dists=[("torch", "2.11.0+cu130", [])], requires_python={"torch": ">=3.10"}, python=""),
              "Python version", make_inventory(dists=[("torch", "2.11.0+cu130", [])], requires_python={"torch": ">=3.10"})),
    "PY002": (make_inventory(dists=TORCH_CU130, wheel_tags={"torch": ["cp312-cp312-manylinux_2_28_x86_64"]}, glibc=""),
              "glibc", make_inventory(dists=TORCH_CU130, wheel_tags={"torch": ["cp312-cp312-manylinux_2_28_x86_64"]})),
}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_unknown_deciding_fact_is_undecided_not_passed(rule_id):
    unknown, fact, known = CASES[rule_id]
    out = outcome(rule_id, unknown)
    assert out.findings == []
    [u] = out.undecided
    assert u.rule_id == rule_id and u.severity in ("warning", "info")
    assert any(fact in m for m in u.missing) and u.settle
    decided = outcome(rule_id, known)
    assert decided.undecided == []


def test_tk001_unknown_toolkit_version_is_undecided_at_info():
    inv = make_inventory(driver="580.159.04", gpus=[H100], dists=TORCH_CU130)
    inv = nvidia(inv, toolkits=[CudaToolkit(path="/usr/local/cuda", active=True)])
    [u] = outcome("TK001", inv).undecided
    assert u.severity == "info" and "/usr/local/cuda" in u.missing[0]


def test_ctr002_compat_libcuda_in_use_with_an_unknown_verdict():
    inv = make_inventory(driver="580.159.04", gpus=[H100])
    inv = nvidia(inv, container=ContainerRuntimeView(compat_in_use=True, compat_ok=None,
                                                     compat_libcuda="/usr/local/cuda/compat/libcuda.so.1"))
    [u] = outcome("CTR002", inv).undecided
    assert u.rule_id == "CTR002"


def test_rules_declare_the_facts_they_decide_on():
    assert [r.id for r in all_rules() if not r.decides_on] == ["GEN999"]  # the engine's own report of a broken rule


def test_drv001_driver_known_only_by_its_cuda_driver_api_version():
    """NVML's CUDA driver version alone decides a build for it or older, and a newer major; not a newer minor."""
    def only_api(api, torch):
        inv = make_inventory(driver="580.159.04", cuda_driver=api, gpus=[H100], dists=[("torch", torch, [])])
        return no_driver_version(inv)

    assert outcome("DRV001", only_api("13.0", "2.5.1+cu121")).findings == []
    assert outcome("DRV001", only_api("12.4", "2.5.1+cu124")).findings == []
    assert outcome("DRV001", only_api("12.4", "2.5.1+cu124")).undecided == []
    [f] = outcome("DRV001", only_api("12.2", "2.11.0+cu130")).findings
    assert f.severity == "error" and "supports CUDA up to 12.2" in f.message
    [u] = outcome("DRV001", only_api("12.2", "2.5.1+cu124")).undecided
    assert u.missing == ["NVIDIA driver version"]


def test_tk001_with_only_torch_s_cuda_major_known_is_undecided_not_a_minor_mismatch():
    """torch's CUDA known only as a major (from its -cu12 pins): nvcc 12.4 neither matches nor mismatches a minor."""
    inv = make_inventory(driver="580.159.04", gpus=[H100], dists=[("torch", "2.5.1", [])])
    env = inv.python[0]
    torch = dataclasses.replace(next(f for f in env.frameworks if f.name == "torch"), runtime_kind="cuda",
                                runtime_version="12")
    inv = dataclasses.replace(inv, python=[dataclasses.replace(env, frameworks=[torch])])
    tk = CudaToolkit(path="/usr/local/cuda-12.4", version="12.4.131", active=True, active_because="CUDA_HOME")
    result = outcome("TK001", nvidia(inv, toolkits=[tk]))
    assert result.findings == [] and [u.rule_id for u in result.undecided] == ["TK001"]
    assert "minor unknown" in result.undecided[0].message
    other = dataclasses.replace(tk, path="/usr/local/cuda-13.0", version="13.0.88")
    assert [f.rule_id for f in outcome("TK001", nvidia(inv, toolkits=[other])).findings] == ["TK001"]
