"""plan: pins that are right by the matrices for many targets, and refusals with the blocking fact."""

from __future__ import annotations

import pytest
from packaging.version import Version

from accelctl.matrices import MatrixSet
from accelctl.plan.fit import torch_build_fits
from accelctl.plan.solve import solve
from accelctl.plan.target import Target, from_flags

MS = MatrixSet()


def nvidia(driver, cc, python="3.12", glibc=None):
    return from_flags(MS, "nvidia", driver, None, cc, None, None, None, python, glibc, "x86_64", lambda n: None)


def pins(plan):
    return {p.name: p.spec for p in plan.pins}


def torch_build(plan):
    spec = pins(plan)["torch"].lstrip("=")
    public, _, local = spec.partition("+")
    from accelctl.matrices.subjects.pytorch import default_variant, entry

    entries = MS.entries("pytorch")
    return entry(entries, public, local) if local else default_variant(entries, public)


@pytest.mark.parametrize("driver, cc", [
    ("470.256.02", "7.0"),   # V100 on R470 (CUDA 11.4)
    ("525.60.13", "8.0"),    # A100 on the CUDA 12.x minor-compat floor
    ("535.104.05", "8.0"),   # A100 on R535 (CUDA 12.2)
    ("550.54.15", "9.0"),    # H100 on R550 (CUDA 12.4)
    ("570.86.10", "10.0"),   # B200 on R570 (CUDA 12.8)
    ("570.86.10", "12.0"),   # RTX 5090 on R570
    ("580.159.04", "9.0"),   # the real H100 node
])
@pytest.mark.parametrize("python", ["3.9", "3.10", "3.11", "3.12", "3.13"])
def test_every_torch_pin_runs_on_its_target(driver, cc, python):
    target = nvidia(driver, cc, python)
    plan = solve(["torch"], [target], MS)
    if not plan.ok:
        # a refusal must name the fact and a change
        assert plan.refusals[0].blocking and plan.refusals[0].change
        return
    build = torch_build(plan)
    ok, _, why = torch_build_fits(build, target, MS)
    assert ok, why
    assert build.runtime_kind == "cuda"
    from packaging.specifiers import SpecifierSet
    assert SpecifierSet(build.python).contains(python + ".0")


def test_driver_470_gets_a_cuda_11_build_under_minor_compat():
    plan = solve(["torch"], [nvidia("470.256.02", "7.0", "3.11")], MS)
    build = torch_build(plan)
    assert Version(build.runtime_version).major == 11
    assert any("minor-version compatibility" in n for n in plan.notes)


def test_h100_node_gets_the_newest_cuda_13_build_its_driver_runs():
    plan = solve(["torch"], [nvidia("580.159.04", "9.0", "3.12")], MS)
    build = torch_build(plan)
    assert build.runtime_version.startswith("13.")


def test_blackwell_needs_a_driver_that_knows_it():
    plan = solve(["torch"], [nvidia("535.104.05", "12.0")], MS)
    assert not plan.ok
    r = plan.refusals[0]
    assert "older than the first driver for sm_120 GPUs (570.26)" in r.blocking
    assert r.change.startswith("upgrade the NVIDIA driver of flags to 570.26 or newer")


def test_blackwell_never_gets_a_build_without_sm_120():
    plan = solve(["torch<2.7"], [nvidia("570.86.10", "12.0")], MS)
    assert not plan.ok  # CUDA 12.8 (the first with sm_120) builds start with torch 2.7


def test_vllm_needs_cuda_13_so_r535_is_refused_with_the_upgrade():
    plan = solve(["vllm"], [nvidia("535.104.05", "9.0")], MS)
    assert not plan.ok
    assert "upgrade the NVIDIA driver" in plan.refusals[0].change


def test_vllm_on_the_h100_node_pins_its_torch():
    plan = solve(["vllm"], [nvidia("580.159.04", "9.0")], MS)
    assert plan.ok
    from accelctl.matrices.subjects.vllm import torch_pin_for_vllm

    p = pins(plan)
    assert p["torch"] == "==" + torch_pin_for_vllm(MS.entries("vllm"), p["vllm"].lstrip("="))


def test_companions_are_paired():
    plan = solve(["torch==2.5.1", "torchvision", "torchaudio"], [nvidia("550.54.15", "9.0", "3.11")], MS)
    p = pins(plan)
    assert p["torch"].startswith("==2.5.1")
    assert p["torchvision"].startswith("==0.20.1") and p["torchaudio"].startswith("==2.5.1")


def test_a_fleet_plan_must_work_on_every_class():
    targets = [nvidia("535.104.05", "8.0", "3.11"), nvidia("580.159.04", "9.0", "3.11")]
    plan = solve(["torch"], targets, MS)
    build = torch_build(plan)
    assert all(torch_build_fits(build, t, MS)[0] for t in targets)
    assert Version(build.runtime_version).major == 12  # R535 cannot run CUDA 13


def test_mixed_vendors_are_refused():
    amd = Target("mi300x", "amd", gfx=("gfx942",))
    plan = solve(["torch"], [nvidia("550.54.15", "9.0"), amd], MS)
    assert not plan.ok and "mix accelerator vendors" in plan.refusals[0].blocking


@pytest.mark.parametrize("vendor, kind", [("amd", "rocm"), ("intel", "xpu"), ("cpu", "cpu")])
def test_other_vendors_get_their_runtime(vendor, kind):
    t = Target("t", vendor, gfx=("gfx942",) if vendor == "amd" else (), python="3.11")
    plan = solve(["torch"], [t], MS)
    assert plan.ok and plan.runtime_kind == kind
    assert pins(plan)["torch"].endswith("+" + torch_build(plan).variant)


def test_python_too_new_for_old_torch_is_refused():
    plan = solve(["torch<2.2"], [nvidia("550.54.15", "9.0", "3.13")], MS)
    assert not plan.ok and "needs Python" in plan.refusals[0].blocking


def test_glibc_floor_is_respected():
    plan = solve(["torch"], [nvidia("550.54.15", "9.0", "3.11", glibc="2.17")], MS)
    if plan.ok:
        from accelctl.matrices.subjects.pytorch import manylinux_glibc

        build = torch_build(plan)
        assert build.manylinux is None or Version(manylinux_glibc(build.manylinux)) <= Version("2.17")


def test_jax_cuda_plan_pins_plugin_and_jaxlib_together():
    plan = solve(["jax[cuda]"], [nvidia("580.159.04", "9.0")], MS)
    p = pins(plan)
    version = p["jax"].split("==")[1]
    assert p["jaxlib"] == "==" + version
    assert any(k.startswith("jax-cuda") and k.endswith("-plugin") for k in p)


def test_tensorflow_plan():
    plan = solve(["tensorflow"], [nvidia("550.54.15", "9.0", "3.11")], MS)
    assert plan.ok and "tensorflow" in pins(plan)


def test_unjudged_wants_pass_through():
    plan = solve(["torch", "numpy<2"], [nvidia("550.54.15", "9.0")], MS)
    assert plan.passthrough == ["numpy<2"]
