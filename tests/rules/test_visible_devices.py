"""ENV001/ENV002: visible-device masks that hide the GPUs, or name GPUs that do not exist.

The semantics are CUDA's documented ones (CUDA Programming Guide, "CUDA Environment Variables":
an empty value hides every GPU; parsing stops at the first invalid entry, so ``0,2,-1,1`` shows
GPUs 0 and 2). Cases from public reports:

- https://github.com/pytorch/pytorch/issues/40618: ``CUDA_VISIBLE_DEVICES=''`` gives
  ``torch.cuda.is_available()`` False and ``device_count()`` 0 on a node with four RTX 2080 Ti.
- https://github.com/thuml/Time-Series-Library/issues/10: a script's ``export CUDA_VISIBLE_DEVICES=2``
  on a machine with one RTX 2070 SUPER: "RuntimeError: No CUDA GPUs are available".
- https://github.com/syorami/DDC-transfer-learning/issues/3: ``CUDA_VISIBLE_DEVICES="2"`` in the
  script; changing it to "0" made the GPU usable.
- https://github.com/IntelPython/dpctl/issues/1406: ``ONEAPI_DEVICE_SELECTOR=level_zero:gpu:0`` is
  rejected ("Error parsing selector string ... Too many colons").
"""

from __future__ import annotations

import dataclasses

import pytest

from accelctl.inventory.intel import IntelGpu
from accelctl.inventory.system import ContainerInfo
from accelctl.matrices import MatrixSet
from accelctl.rules import by_id, check_rules
from accelctl.rules.base import RuleContext, RuleOptions
from tests.builders import H100, make_inventory

H100_UUID = "GPU-e412736b-4a34-85bc-a1af-e16bbf595c1d"  # the H100 node's GPU (tests/fixtures/hosts/h100-node)
RTX_2080_TI = ("NVIDIA GeForce RTX 2080 Ti", "7.5")
RTX_2070_SUPER = ("NVIDIA GeForce RTX 2070 SUPER", "7.5")


def check(inv, expect=()):
    return check_rules(RuleContext(inv, MatrixSet(), RuleOptions(expect=tuple(expect))),
                       [by_id()["ENV001"], by_id()["ENV002"]])


def nvidia_node(value: str | None, gpus=(H100,), uuids=True, **kw):
    env = {} if value is None else {"CUDA_VISIBLE_DEVICES": value}
    inv = make_inventory(driver="580.159.04", gpus=list(gpus), env=env, **kw)
    if uuids:
        named = [dataclasses.replace(g, uuid=H100_UUID if i == 0 else f"GPU-{i:08d}-0000-0000-0000-000000000000",
                                     mig_mode="disabled") for i, g in enumerate(inv.nvidia.gpus)]
        inv = dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, gpus=named))
    return inv


def commands(finding):
    return [c for step in finding.fixes for c in step.commands]


# --- fires ---------------------------------------------------------------------------------------------


def test_empty_value_hides_all_four_gpus_pytorch_40618():
    out = check(nvidia_node("", gpus=[RTX_2080_TI] * 4))
    [f] = out.findings
    assert f.rule_id == "ENV001" and f.severity == "error" and "hides every NVIDIA GPU" in f.message
    assert "unset CUDA_VISIBLE_DEVICES" in commands(f)
    assert "export CUDA_VISIBLE_DEVICES=0,1,2,3" in commands(f)
    assert out.undecided == []


def test_index_2_on_a_one_gpu_machine_time_series_library_10():
    [f] = check(nvidia_node("2", gpus=[RTX_2070_SUPER])).findings
    assert f.rule_id == "ENV001" and "there is no GPU 2" in f.message
    assert commands(f) == ["unset CUDA_VISIBLE_DEVICES", "export CUDA_VISIBLE_DEVICES=0"]


@pytest.mark.parametrize("value", ["7", "7,0", "-1", "GPU-nonexistent", "abc"])
def test_masks_that_hide_the_only_gpu(value):
    """The H100 node's cases (issue 21): ``7``, an unknown UUID; and ``7,0``: parsing stops at 7, so 0 is never read."""
    [f] = check(nvidia_node(value)).findings
    assert f.rule_id == "ENV001" and f.severity == "error"


def test_a_missing_gpu_after_a_valid_one_is_a_warning():
    """``0,7`` shows GPU 0 (CUDA reads the list up to its first invalid entry)."""
    [f] = check(nvidia_node("0,7")).findings
    assert f.rule_id == "ENV002" and f.severity == "warning"
    assert "names 7" in f.message and "only 0 stays visible" in f.message


def test_parsing_stops_at_the_missing_gpu_and_hides_the_ones_after_it():
    [f] = check(nvidia_node("0,7,1", gpus=[H100, H100])).findings
    assert f.rule_id == "ENV002" and "1 after it is ignored" in f.message
    assert "export CUDA_VISIBLE_DEVICES=0,1" in commands(f)


def test_container_started_with_void_on_a_node_with_a_driver():
    inv = make_inventory(driver="580.159.04", env={"NVIDIA_VISIBLE_DEVICES": "void"})
    inv = dataclasses.replace(inv, container=ContainerInfo(in_container=True, runtime="docker"),
                              nvidia=dataclasses.replace(inv.nvidia, gpus=[]))
    [f] = check(inv).findings
    assert f.rule_id == "ENV001" and f.subject == "NVIDIA_VISIBLE_DEVICES"
    assert "docker run --gpus all IMAGE" in commands(f)


def amd_node(env, count=2):
    inv = make_inventory(amd_gpus=[("AMD Instinct MI250X", "gfx90a")] * count, env=env)
    return dataclasses.replace(inv, env=env)


def test_rocr_index_past_the_last_amd_gpu_hides_all():
    [f] = check(amd_node({"ROCR_VISIBLE_DEVICES": "5"})).findings
    assert f.rule_id == "ENV001" and "AMD GPU" in f.message
    assert "unset ROCR_VISIBLE_DEVICES" in commands(f)


def test_hip_mask_naming_a_missing_amd_gpu():
    [f] = check(amd_node({"HIP_VISIBLE_DEVICES": "0,3"})).findings
    assert f.rule_id == "ENV002" and "names 3" in f.message


def intel_node(env, count=1):
    inv = make_inventory(env=env)
    gpus = [IntelGpu(i, "Intel Data Center GPU Max 1550", family="pvc") for i in range(count)]
    return dataclasses.replace(inv, env=env, intel=dataclasses.replace(inv.intel, present=True, gpus=gpus))


@pytest.mark.parametrize("env", [{"ZE_AFFINITY_MASK": "3"}, {"ONEAPI_DEVICE_SELECTOR": "opencl:cpu"},
                                 {"ONEAPI_DEVICE_SELECTOR": "level_zero:gpu:0"}])  # dpctl#1406
def test_intel_masks_that_hide_every_gpu(env):
    [f] = check(intel_node(env)).findings
    assert f.rule_id == "ENV001" and "Intel GPU" in f.message


# --- must not fire -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "0", H100_UUID, "GPU-e412736b", " 0", "0,"])
def test_unset_or_valid_masks_are_quiet(value):
    out = check(nvidia_node(value))
    assert out.findings == [] and out.undecided == []


def test_the_documented_negative_terminator_is_deliberate():
    """CUDA's own example: ``0,2,-1,1`` shows GPUs 0 and 2 and hides 1 on purpose."""
    out = check(nvidia_node("0,2,-1,1", gpus=[H100] * 4))
    assert out.findings == [] and out.undecided == []


def test_no_nvidia_stack_means_the_cuda_mask_has_nothing_to_hide():
    out = check(make_inventory(env={"CUDA_VISIBLE_DEVICES": ""}))
    assert out.findings == [] and out.undecided == []


def test_nvidia_visible_devices_outside_a_container_or_with_gpus_is_quiet():
    inv = make_inventory(driver="580.159.04", gpus=[H100], env={"NVIDIA_VISIBLE_DEVICES": "void"})
    assert check(inv).findings == []
    inside = dataclasses.replace(inv, container=ContainerInfo(in_container=True))
    assert check(inside).findings == []  # GPUs visible: the runtime exposed them (privileged, CDI ...)


@pytest.mark.parametrize("env", [{"ZE_AFFINITY_MASK": "0.1"}, {"ONEAPI_DEVICE_SELECTOR": "level_zero:gpu"},
                                 {"ONEAPI_DEVICE_SELECTOR": "*:*"}, {"ONEAPI_DEVICE_SELECTOR": "!opencl:*"},
                                 {"ROCR_VISIBLE_DEVICES": "0,1"}])
def test_valid_intel_and_amd_masks_are_quiet(env):
    inv = intel_node(env) if "ROCR_VISIBLE_DEVICES" not in env else amd_node(env)
    out = check(inv)
    assert out.findings == [] and out.undecided == []


# --- undecided ---------------------------------------------------------------------------------------


def test_uuid_mask_without_known_gpu_uuids_is_undecided():
    out = check(nvidia_node("GPU-nonexistent", uuids=False))
    assert out.findings == []
    [u] = out.undecided
    assert u.rule_id == "ENV001" and u.severity == "warning"
    assert any("UUIDs" in m for m in u.missing) and u.settle


def test_index_mask_without_nvml_gpu_facts_is_undecided():
    """An NVIDIA driver is there but NVML listed no GPU: the count is unknown."""
    inv = make_inventory(driver="580.159.04", env={"CUDA_VISIBLE_DEVICES": "1"})
    out = check(inv)
    assert out.findings == []
    [u] = out.undecided
    assert u.rule_id == "ENV001" and "count and UUIDs" in u.missing[0]


def test_rocr_uuid_is_undecided_amd_uuids_are_not_in_the_inventory():
    out = check(amd_node({"ROCR_VISIBLE_DEVICES": "GPU-4b2c1a9f8d3e6f7a"}))
    assert out.findings == [] and [u.rule_id for u in out.undecided] == ["ENV001"]
    assert "list the GPUs by index instead (0 to 1)" in out.undecided[0].settle


def test_container_without_gpus_and_without_driver_evidence_is_undecided_at_info():
    inv = make_inventory(env={"NVIDIA_VISIBLE_DEVICES": "void"})
    inv = dataclasses.replace(inv, container=ContainerInfo(in_container=True))
    out = check(inv)
    assert out.findings == []
    [u] = out.undecided
    assert u.severity == "info" and "--expect nvidia" in u.settle[0]
    [f] = check(inv, expect=["nvidia"]).findings  # a GPU was expected: the mask is why there is none
    assert f.rule_id == "ENV001"


def test_nvidia_gpu_with_mig_entry_and_unknown_mig_state_is_undecided():
    inv = nvidia_node("MIG-0f2c1e84-5e1a-5b3a-9a43-6b1d8f0a1c22", uuids=False)
    gpus = [dataclasses.replace(g, uuid=H100_UUID, mig_mode=None) for g in inv.nvidia.gpus]
    inv = dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, gpus=gpus))
    out = check(inv)
    assert out.findings == [] and [u.rule_id for u in out.undecided] == ["ENV001"]


def test_mig_entry_when_mig_is_off_names_no_device():
    [f] = check(nvidia_node("MIG-0f2c1e84-5e1a-5b3a-9a43-6b1d8f0a1c22")).findings
    assert f.rule_id == "ENV001" and "no MIG device" in f.message



# --- end to end: `doctor --from` on the real H100 node's inventory with CUDA_VISIBLE_DEVICES="" -------------


def test_cli_empty_cuda_visible_devices_on_the_h100_node(tmp_path):
    """The issue's first case: CUDA_VISIBLE_DEVICES="" on the H100 node, where torch saw no GPU."""
    import json

    from accelctl.doctor import Source, gather
    from tests.conftest import FIXTURES, run_cli

    data = gather(Source(fixture=str(FIXTURES / "hosts" / "h100-node"))).to_data()
    as_is = tmp_path / "as-is.json"
    as_is.write_text(json.dumps(data), encoding="utf-8")
    data["env"]["CUDA_VISIBLE_DEVICES"] = ""
    empty = tmp_path / "cvd-empty.json"
    empty.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run_cli(["doctor", "--from", str(empty)])
    assert code == 1
    assert out.startswith("accelctl doctor: problems found — 1 error(s)")
    lines = [line.strip() for line in out.splitlines()]
    assert "ERROR ENV001" in out and "unset CUDA_VISIBLE_DEVICES" in lines and "export CUDA_VISIBLE_DEVICES=0" in lines
    code, out, _ = run_cli(["doctor", "--from", str(as_is)])
    assert code == 0 and out.startswith("accelctl doctor: no problems found — ")


def test_redacted_uuids_of_a_captured_fixture_do_not_decide():
    """``accelctl capture`` numbers the UUIDs it redacts: a UUID mask cannot be checked against them."""
    inv = nvidia_node("GPU-e412736b")
    gpus = [dataclasses.replace(g, uuid="GPU-00000000-0000-0000-0000-000000000000") for g in inv.nvidia.gpus]
    out = check(dataclasses.replace(inv, nvidia=dataclasses.replace(inv.nvidia, gpus=gpus)))
    assert out.findings == [] and [u.rule_id for u in out.undecided] == ["ENV001"]


def test_an_empty_entry_in_the_middle_hides_the_gpus_after_it():
    [f] = check(nvidia_node("0,,1", gpus=[H100, H100])).findings
    assert f.rule_id == "ENV002" and "1 after it is ignored" in f.message
    assert "export CUDA_VISIBLE_DEVICES=0,1" in commands(f)


def test_hip_reads_cuda_visible_devices_on_an_amd_node():
    """HIP honours CUDA_VISIBLE_DEVICES too (HIP environment variables): an empty value hides the AMD GPUs."""
    [f] = check(amd_node({"CUDA_VISIBLE_DEVICES": ""})).findings
    assert f.rule_id == "ENV001" and f.subject == "CUDA_VISIBLE_DEVICES" and "AMD GPU" in f.message


def test_hip_indices_count_within_what_rocr_left_visible():
    """ROCR_VISIBLE_DEVICES=1 leaves one GPU, which HIP calls 0: HIP_VISIBLE_DEVICES=1 then names none.

    ROCr applies its mask first and HIP indexes what is left (PyTorch models it so in
    ``torch/cuda/__init__.py``, ``_parse_visible_devices``).
    """
    out = check(amd_node({"ROCR_VISIBLE_DEVICES": "1", "HIP_VISIBLE_DEVICES": "1"}))
    assert [(f.rule_id, f.subject) for f in out.findings] == [("ENV001", "HIP_VISIBLE_DEVICES")]
    assert check(amd_node({"ROCR_VISIBLE_DEVICES": "1", "HIP_VISIBLE_DEVICES": "0"})).findings == []
