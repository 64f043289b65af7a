"""Combine an image's userspace with each node class's hardware, and judge it with the rules.

In a container the kernel driver, libcuda and the GPUs come from the node;
everything else (Python, wheels, CUDA runtime libraries, the image's
NVIDIA_REQUIRE_CUDA) comes from the image. The combined inventory goes through
the same rules as `doctor`, so the gate and the doctor can never disagree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from accelctl.derive import derive, summarize_accelerators
from accelctl.findings import Finding, Undecided
from accelctl.gate.fleet import Fleet, NodeClass
from accelctl.inventory import Inventory, load_snapshot
from accelctl.inventory.amd import AmdGpu, AmdInfo, RocmInstall
from accelctl.inventory.nvidia import NvidiaDriver, NvidiaGpu
from accelctl.matrices import MatrixSet
from accelctl.plan.fixit import PlanStep, build_plan
from accelctl.rules import all_rules, check_rules, select
from accelctl.rules.base import RuleContext, RuleOptions

GpuLookup = Callable[[str], str | None]


@dataclass(frozen=True)
class ClassResult:
    node_class: NodeClass
    verdict: str  # runs | runs-with-warnings | fails
    findings: list[Finding] = field(default_factory=list)
    plan: list[PlanStep] = field(default_factory=list)
    undecided: list[Undecided] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # IDs of the rules that ran


@dataclass(frozen=True)
class GateResult:
    image: str
    image_inventory: Inventory
    results: list[ClassResult]
    fleet_uri: str | None = None  # the fleet spec relative to the repository checkout (SARIF); None outside it
    class_lines: dict[str, int] = field(default_factory=dict)  # node class name -> line of its entry in the spec
    dockerfile_uri: str | None = None  # --dockerfile relative to the checkout (SARIF locates results there)
    dockerfile_line: int | None = None  # its last FROM

    @property
    def failed_required(self) -> list[ClassResult]:
        return [r for r in self.results if r.verdict == "fails" and r.node_class.required]


def node_inventory(image: Inventory, node: NodeClass, gpu_cc: GpuLookup) -> Inventory:
    """The image as it would be on a node of this class."""
    if node.snapshot:
        real = load_snapshot(node.snapshot)
        combined = dataclasses.replace(image, nvidia=dataclasses.replace(
            image.nvidia, present=real.nvidia.present, driver=real.nvidia.driver, gpus=real.nvidia.gpus,
            nvswitch_present=real.nvidia.nvswitch_present), amd=dataclasses.replace(
            image.amd, present=real.amd.present, driver_version=real.amd.driver_version, gpus=real.amd.gpus),
            intel=real.intel, other_accelerators=real.other_accelerators)
    elif node.vendor == "nvidia":
        cc = node.compute_capability or (gpu_cc(node.gpu) if node.gpu else None)
        gpu = NvidiaGpu(index=0, name=node.gpu or f"GPU with compute capability {cc}", compute_capability=cc,
                        source=f"fleet class {node.name}")
        driver = NvidiaDriver(version=node.driver, version_source=f"fleet class {node.name}",
                              kernel_module_version=node.driver, cuda_driver_version=node.cuda_driver,
                              cuda_driver_version_source=f"fleet class {node.name}" if node.cuda_driver else "")
        combined = dataclasses.replace(image, nvidia=dataclasses.replace(image.nvidia, present=True, driver=driver, gpus=[gpu]))
    elif node.vendor == "amd":
        amd_gpu = AmdGpu(index=0, name=node.gpu, gfx_target=node.gfx_target, source=f"fleet class {node.name}")
        rocm = list(image.amd.rocm) or ([RocmInstall(path="(node)", version=node.rocm)] if node.rocm else [])
        combined = dataclasses.replace(image, amd=AmdInfo(present=True, source="fleet", driver_version=node.driver,
                                                          gpus=[amd_gpu], rocm=rocm, env=image.amd.env))
    else:
        combined = image
    combined = dataclasses.replace(combined, mode="gate", host=f"{image.host} on {node.name}")
    return dataclasses.replace(combined, accelerators=summarize_accelerators(combined))


def verdict(findings: Sequence[Finding], undecided: Sequence[Undecided] = ()) -> str:
    """An undecided check weighs at its level, like a finding: undecided is not healthy."""
    levels = {f.severity for f in findings} | {u.severity for u in undecided}
    if "error" in levels:
        return "fails"
    if "warning" in levels:
        return "runs-with-warnings"
    return "runs"


def evaluate(image: Inventory, fleet: Fleet, matrices: MatrixSet, gpu_cc: GpuLookup,
             select_rules: list[str] = (), ignore_rules: list[str] = (),  # type: ignore[assignment]
             progress: Callable[[str], None] | None = None) -> GateResult:
    """Judge the image on every class of the fleet (``progress(name)`` is called as each class is done)."""
    rules = select(all_rules(), select_rules, ignore_rules)
    image = derive(image, matrices)
    results = []
    for node in fleet.classes:
        inv = derive(node_inventory(image, node, gpu_cc), matrices)
        expect = () if node.vendor in (None, "cpu") else (node.vendor,)
        outcome = check_rules(RuleContext(inv, matrices, RuleOptions(expect=expect)), rules)
        results.append(ClassResult(node, verdict(outcome.findings, outcome.undecided), outcome.findings,
                                   build_plan(outcome.findings), outcome.undecided, [r.id for r in rules]))
        if progress is not None:
            progress(node.name)
    return GateResult(image.host, image, results)
