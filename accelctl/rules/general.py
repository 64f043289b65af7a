"""General rules: is there an accelerator at all, and did we see everything."""

from __future__ import annotations

from collections.abc import Iterator

from accelctl.findings import Evidence, FixStep
from accelctl.rules.base import ANY_OS, Hit, RuleContext, rule

_VENDOR_NAMES = {"nvidia": "NVIDIA", "amd": "AMD", "intel": "Intel", "google": "Google TPU", "aws": "AWS Neuron", "habana": "Intel Gaudi"}


@rule("GEN001", "no-accelerator", "info", decides_on=("accelerators the probes found",))
def no_accelerator(ctx: RuleContext) -> Iterator[Hit]:
    """No accelerator was found on this machine.

    Frameworks will run on the CPU. That is fine on a CPU node or in CI; on a
    GPU node it means the device is not visible here (container started without
    the GPU, driver not loaded, device nodes missing). Pass ``--expect VENDOR``
    to make this an error where an accelerator must be present.
    """
    inv = ctx.inventory
    if inv.accelerators or inv.mode == "rootfs":
        return
    if ctx.options.expect:
        return  # GEN002 reports it as an error instead
    yield Hit("No GPU or other accelerator is visible; frameworks will use the CPU.",
              evidence=[Evidence("accelerators found", "none", "NVML, sysfs, /dev")])


@rule("GEN002", "expected-accelerator-missing", "error",
      decides_on=("accelerators the probes found", "the vendors --expect names"))
def expected_accelerator_missing(ctx: RuleContext) -> Iterator[Hit]:
    """An accelerator that must be usable here is not.

    ``--expect`` states what a node or job requires. When that vendor's device
    is missing, a job would silently fall back to the CPU (or fail late);
    failing here makes the problem loud and early.
    """
    present = {a.vendor for a in ctx.inventory.accelerators}
    for vendor in ctx.options.expect:
        if vendor in present:
            continue
        name = _VENDOR_NAMES.get(vendor, vendor)
        yield Hit(
            f"--expect {vendor}: no {name} accelerator is visible on {ctx.inventory.host}.",
            subject=vendor,
            evidence=[Evidence("accelerators found", ", ".join(sorted(present)) or "none", "probes")],
            fixes=[FixStep(
                f"Make the {name} device visible",
                why="the device nodes, driver or container runtime hooks are missing",
                verify="accelctl doctor --expect " + vendor,
            )],
        )


@rule("GEN003", "probe-incomplete", "info", decides_on=("each probe's status",), platforms=ANY_OS)
def probe_incomplete(ctx: RuleContext) -> Iterator[Hit]:
    """Some facts could not be learned, so some checks may be missing.

    Each probe records what it could not read and why (permissions, a tool that
    timed out, a file that is absent). Checks that need those facts are skipped
    rather than guessed.
    """
    failed = [p for p in ctx.inventory.probes if p.status in ("failed", "timeout")]
    for run in failed:
        yield Hit(f"probe '{run.name}' {run.status}: {run.error or 'no detail'}", subject=run.name,
                  evidence=[Evidence("probe status", run.status, "accelctl")])


@rule("GEN999", "rule-failed", "warning", platforms=ANY_OS)
def rule_failed(ctx: RuleContext) -> Iterator[Hit]:
    """A check could not run.

    The engine reports a rule that raised an error as this finding, so that one
    broken check never hides the others. Please report it with the snapshot.
    """
    return iter(())
