"""Builders for inventories in rule tests: one line per scenario (repo-review style)."""

from __future__ import annotations

from collections.abc import Sequence

from accelctl.assume import _runtime_from_version
from accelctl.derive.accelerators import summarize_accelerators
from accelctl.inventory import Inventory
from accelctl.inventory.amd import AmdGpu, AmdInfo, RocmInstall
from accelctl.inventory.nvidia import LibraryResolution, NvidiaDriver, NvidiaGpu, NvidiaInfo
from accelctl.inventory.python_env import Distribution, FrameworkInfo, PythonEnvironment
from accelctl.inventory.system import ContainerInfo, OsInfo
from accelctl.matrices import MatrixSet
from accelctl.rules import by_id, run_rules
from accelctl.rules.base import RuleContext, RuleOptions

Dist = tuple[str, str, Sequence[str]]  # name, version, Requires-Dist lines


def make_inventory(
    driver: str | None = None,
    libcuda: str | None = None,
    cuda_driver: str | None = None,
    nvml_error: str | None = None,
    gpus: Sequence[tuple[str, str]] = (),
    amd_gpus: Sequence[tuple[str, str]] = (),
    dists: Sequence[Dist] = (),
    frameworks: Sequence[str] = ("torch",),
    wheel_tags: dict[str, list[str]] | None = None,
    requires_python: dict[str, str] | None = None,
    python: str = "3.12.3",
    glibc: str = "2.35",
    env: dict[str, str] | None = None,
    image_env: dict[str, str] | None = None,
    resolutions: Sequence[LibraryResolution] = (),
    kfd_access: bool | None = None,
    rocm: str | None = None,
    mode: str = "fixture",
) -> Inventory:
    distributions = [Distribution(n, v, list(r), requires_python=(requires_python or {}).get(n), location=f"/venv/{n}",
                                  wheel_tags=(wheel_tags or {}).get(n, [])) for n, v, r in dists]
    fws = []
    for d in distributions:
        if d.name in frameworks:
            pins = {}
            for line in d.requires:
                name, sep, spec = line.partition("==")
                if sep:
                    pins[name.strip()] = "==" + spec.split(";")[0].strip()
            rt = _runtime_from_version(d.version)
            fws.append(FrameworkInfo(name=d.name, version=d.version, environment="/venv", pins=pins,
                                     variant=rt.get("variant"), runtime_kind=rt.get("runtime_kind"),
                                     runtime_version=rt.get("runtime_version"), variant_source="builder", source="builder"))
    envs = [PythonEnvironment("/venv/bin/python", python, "cpython", "venv", "/venv", ["/venv/lib/site-packages"],
                              "builder", distributions, fws, "builder")] if dists else []
    nvidia = NvidiaInfo()
    if driver or gpus:
        nvidia = NvidiaInfo(present=True,
                            driver=NvidiaDriver(version=driver, kernel_module_version=driver, libcuda_version=libcuda or driver,
                                                cuda_driver_version=cuda_driver, nvml_error=nvml_error) if driver else None,
                            gpus=[NvidiaGpu(i, name, compute_capability=cc) for i, (name, cc) in enumerate(gpus)],
                            resolutions=list(resolutions))
    amd = AmdInfo(present=bool(amd_gpus), gpus=[AmdGpu(i, n, gfx) for i, (n, gfx) in enumerate(amd_gpus)],
                  kfd_access=kfd_access, rocm=[RocmInstall(path=f"/opt/rocm-{rocm}", version=rocm, active=True)] if rocm else [],
                  env={k: v for k, v in (env or {}).items() if k.startswith(("HSA_", "HIP_", "ROCR_"))})
    inv = Inventory(host="builder", mode=mode, os=OsInfo(distro_id="ubuntu", arch="x86_64", libc="glibc", libc_version=glibc),
                    container=ContainerInfo(image_env=image_env or {}), python=envs, nvidia=nvidia, amd=amd, env=env or {})
    import dataclasses

    return dataclasses.replace(inv, accelerators=summarize_accelerators(inv))


def run_rule(rule_id: str, inventory: Inventory, expect: Sequence[str] = ()):
    """Findings of one rule on an inventory, with the bundled matrices."""
    return run_rules(RuleContext(inventory, MatrixSet(), RuleOptions(expect=tuple(expect))), [by_id()[rule_id]])


H100 = ("NVIDIA H100 80GB HBM3", "9.0")
TORCH_2_11_CU130_PINS = ["nvidia-cudnn-cu13==9.19.0.56; platform_system == \"Linux\"",
                         "nvidia-nccl-cu13==2.28.9; platform_system == \"Linux\"", "triton==3.6.0; platform_system == \"Linux\""]
