"""Environment rules: visible-device masks that hide the node's GPUs from the frameworks."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator

from accelctl.findings import Evidence, FixStep
from accelctl.inventory import Inventory
from accelctl.inventory.nvidia import NvidiaGpu
from accelctl.record import record
from accelctl.rules.base import CannotDecide, Hit, RuleContext, rule
from accelctl.rules.visible import (
    Device,
    MaskReading,
    read_cuda_mask,
    read_index_mask,
    read_oneapi_selector,
    read_ze_mask,
)

_CONTAINER_OFF = ("void", "none", "")


@record
class Mask:
    """One mask variable read against one vendor's GPUs (``reading`` None: that vendor's GPUs are unknown)."""

    variable: str
    value: str
    vendor: str  # NVIDIA | AMD | Intel
    reading: MaskReading | None
    gpus: str = ""  # the GPUs, for messages: "GPU 0 (NVIDIA H100 80GB HBM3, GPU-e412...)"
    valid: tuple[str, ...] = ()  # every GPU, as the variable names them: a value that hides none
    keep: tuple[str, ...] = ()  # the entries of the value that name a GPU of this node, in order, once each


def masks(inv: Inventory) -> list[Mask]:
    """Every visible-device variable that is set, read against the GPUs it selects from."""
    return [*_nvidia_masks(inv), *_amd_masks(inv), *_intel_masks(inv)]


def _nvidia_masks(inv: Inventory) -> Iterator[Mask]:
    env, nv = inv.env, inv.nvidia
    if "CUDA_VISIBLE_DEVICES" not in env or not (nv.gpus or nv.present or nv.driver is not None):
        return
    devices = [Device(g.index, _real_uuid(g.uuid), _mig_uuids(g)) for g in nv.gpus]
    value = env["CUDA_VISIBLE_DEVICES"]
    shown = "; ".join(f"GPU {g.index} ({g.name}{', ' + g.uuid if g.uuid else ''})" for g in nv.gpus)
    yield Mask("CUDA_VISIBLE_DEVICES", value, "NVIDIA", read_cuda_mask(value, devices) if nv.gpus else None, shown,
               tuple(str(g.index) for g in nv.gpus), _keep(value, lambda e: bool(read_cuda_mask(e, devices).visible)))


def _amd_masks(inv: Inventory) -> Iterator[Mask]:
    env, amd = inv.env, inv.amd
    if not (amd.gpus or amd.present):
        return
    count = len(amd.gpus)
    shown = "; ".join(f"GPU {g.index} ({g.name or g.gfx_target or 'AMD GPU'})" for g in amd.gpus)
    rocr = env.get("ROCR_VISIBLE_DEVICES")
    hip_count = count
    if rocr is not None:
        reading = read_index_mask(rocr, count, "ROCR_VISIBLE_DEVICES") if amd.gpus and rocr.strip() else None
        yield Mask("ROCR_VISIBLE_DEVICES", rocr, "AMD", reading, shown, tuple(str(i) for i in range(count)),
                   _keep(rocr, lambda e: bool(read_index_mask(e, count, "ROCR_VISIBLE_DEVICES").visible)))
        hip_count = len(reading.visible) if reading is not None and reading.decided else hip_count
    # HIP reads HIP_VISIBLE_DEVICES, else CUDA_VISIBLE_DEVICES, as indices into what ROCr left visible.
    hip_var = "HIP_VISIBLE_DEVICES" if "HIP_VISIBLE_DEVICES" in env else None if inv.nvidia.gpus else "CUDA_VISIBLE_DEVICES"
    if hip_var and hip_var in env:
        value = env[hip_var]
        hip_devices = [Device(i) for i in range(hip_count)]
        reading = read_cuda_mask(value, hip_devices, hip_var) if amd.gpus else None
        yield Mask(hip_var, value, "AMD", reading, shown, tuple(str(i) for i in range(hip_count)),
                   _keep(value, lambda e: bool(read_cuda_mask(e, hip_devices, hip_var).visible)))


def _intel_masks(inv: Inventory) -> Iterator[Mask]:
    env, intel = inv.env, inv.intel
    if not (intel.gpus or intel.present):
        return
    count = len(intel.gpus)
    shown = "; ".join(f"GPU {g.index} ({g.name or 'Intel GPU'})" for g in intel.gpus)
    if env.get("ZE_AFFINITY_MASK", "").strip():
        value = env["ZE_AFFINITY_MASK"]
        yield Mask("ZE_AFFINITY_MASK", value, "Intel", read_ze_mask(value, count) if intel.gpus else None, shown,
                   tuple(str(i) for i in range(count)), _keep(value, lambda e: bool(read_ze_mask(e, count).visible)))
    if "ONEAPI_DEVICE_SELECTOR" in env:
        value = env["ONEAPI_DEVICE_SELECTOR"]
        yield Mask("ONEAPI_DEVICE_SELECTOR", value, "Intel", read_oneapi_selector(value, count) if intel.gpus else None,
                   shown, (f"level_zero:{','.join(str(i) for i in range(count))}",))


def _keep(value: str, selects: Callable[[str], bool]) -> tuple[str, ...]:
    """The entries of a mask that select a device on their own, once each, in order: the value a fix keeps."""
    kept: list[str] = []
    for entry in (e.strip() for e in value.split(",")):
        if entry and entry not in kept and selects(entry):
            kept.append(entry)
    return tuple(kept)


# `accelctl capture` replaces UUIDs by numbered placeholders: those say nothing about the real ones.
_REDACTED_UUID = ("GPU-00000000-0000-0000-0000-", "MIG-00000000-0000-0000-0000-")


def _real_uuid(uuid: str | None) -> str | None:
    return None if uuid is None or uuid.startswith(_REDACTED_UUID) else uuid


def _mig_uuids(gpu: NvidiaGpu) -> tuple[str, ...] | None:
    if gpu.mig_mode == "disabled":
        return ()
    uuids = [_real_uuid(m.uuid) for m in gpu.mig_instances]
    if gpu.mig_mode == "enabled" and uuids and all(uuids):
        return tuple(u or "" for u in uuids)
    return None


def _quoted(variable: str, value: str) -> str:
    return f"{variable}={shlex.quote(value)}" if value else f'{variable}=""'


def _fixes(m: Mask, keep: list[str]) -> list[FixStep]:
    verify = "accelctl doctor --select ENV001,ENV002"
    steps = [FixStep(f"Unset {m.variable} so every {m.vendor} GPU is visible", commands=[f"unset {m.variable}"],
                     why=f"unset, {m.variable} selects nothing and hides nothing", risks=["changes-environment"],
                     verify=verify, alternative="show every GPU")]
    if keep:
        value = ",".join(keep)
        steps.append(FixStep(f"Or list only {m.vendor} GPUs that exist here",
                             commands=[f"export {m.variable}={shlex.quote(value)}"],
                             why=f"this node's GPUs: {m.gpus}" if m.gpus else "", risks=["changes-environment"],
                             verify=verify, alternative="choose GPUs", recommended=False))
    return steps


def _undecided(m: Mask, what: str) -> CannotDecide:
    missing = [f"the {m.vendor} GPUs of this node (count and UUIDs)"] if m.reading is None else \
        [f"the UUIDs of the {m.vendor} GPUs (to resolve {', '.join(m.reading.unresolved)})"]
    settle = ["run `accelctl doctor` on the node itself, where NVML lists the GPUs"] if m.vendor == "NVIDIA" else \
        ["run `accelctl doctor` on the node itself with access to the GPUs' sysfs and driver"]
    if m.reading is not None and m.vendor == "NVIDIA":
        settle.append("--assume nvidia.gpus.0.uuid=GPU-... (each GPU's UUID from `nvidia-smi -L`)")
    if m.reading is not None and m.vendor == "AMD":  # AMD UUIDs are not in the inventory
        settle = [f"list the GPUs by index instead (0 to {m.reading.device_count - 1})",
                  "compare with the UUIDs `rocm-smi --showuniqueid` shows"]
    if m.variable == "ROCR_VISIBLE_DEVICES" and not m.value.strip():
        missing = ["what the ROCm runtime does with an empty ROCR_VISIBLE_DEVICES (not documented)"]
        settle = ["unset ROCR_VISIBLE_DEVICES, or list the GPUs to use"]
    return CannotDecide(f"{_quoted(m.variable, m.value)} is set; whether it {what} cannot be decided here.",
                        missing=missing, settle=settle, subject=m.variable)


@rule("ENV001", "visible-devices-hide-every-gpu", "error",
      decides_on=("the visible-device variables", "the node's GPUs (count, UUIDs)"))
def visible_devices_hide_every_gpu(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """A visible-device variable hides every GPU of this node: the framework will see none.

    CUDA_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES, ZE_AFFINITY_MASK and
    ONEAPI_DEVICE_SELECTOR choose which GPUs the runtime shows a process. An empty
    ``CUDA_VISIBLE_DEVICES``, ``-1``, or a list whose first entry is an index or UUID that
    does not exist here shows none: CUDA stops reading the list at the first invalid entry,
    so ``7,0`` on a one-GPU node shows nothing (``0,7`` shows GPU 0).
    ``torch.cuda.is_available()`` is then False ("No CUDA GPUs are available") and jobs run on
    the CPU or stop. Schedulers and launch scripts often set these for one machine and leak
    them into another. Inside a container, ``NVIDIA_VISIBLE_DEVICES=void`` (or empty, or
    ``none``) tells the NVIDIA container runtime to expose no GPU. Unset the variable, or
    list GPUs that exist (their indices or UUIDs are in the report). Where hiding the GPUs is
    deliberate (a CPU-only test run), ignore this rule for that run with ``--ignore ENV001``.

    References: CUDA Programming Guide, "CUDA Environment Variables"
    (https://docs.nvidia.com/cuda/cuda-programming-guide/05-appendices/environment-variables.html);
    ROCm "GPU isolation techniques" (https://rocm.docs.amd.com/en/docs-6.1.2/conceptual/gpu-isolation.html);
    Level Zero "Affinity Mask" (https://spec.oneapi.io/level-zero/latest/core/PROG.html#affinity-mask);
    DPC++ ``ONEAPI_DEVICE_SELECTOR`` (https://intel.github.io/llvm/EnvironmentVariables.html; a malformed
    value stops the runtime: https://github.com/IntelPython/dpctl/issues/1406);
    NVIDIA Container Toolkit, "Specialized Configurations with Docker"
    (https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/1.20.2/docker-specialized.html);
    reports: https://github.com/pytorch/pytorch/issues/40618 (an empty value: is_available() False,
    device_count() 0), https://github.com/thuml/Time-Series-Library/issues/10 (``CUDA_VISIBLE_DEVICES=2``
    on a one-GPU machine: "No CUDA GPUs are available").
    """
    yield from _container_mask(ctx)
    for m in masks(ctx.inventory):
        r = m.reading
        if r is None or (not r.decided and not r.visible):
            yield _undecided(m, "hides every GPU")
            continue
        if not r.hides_all or r.device_count == 0:
            continue
        why = r.note or (f"parsing stops at its first entry: {r.why_stopped}" if r.stopped_by else "no entry names a GPU of this node")
        if m.variable == "ONEAPI_DEVICE_SELECTOR":
            why = r.why_stopped or "no term selects a Level Zero GPU"
        yield Hit(f"{_quoted(m.variable, m.value)} hides every {m.vendor} GPU of this node ({why}): "
                  f"frameworks will see no GPU.",
                  subject=m.variable,
                  evidence=[Evidence(m.variable, repr(m.value), "environment"),
                            Evidence(f"{m.vendor} GPUs", m.gpus or str(r.device_count), "probes")],
                  fixes=_fixes(m, list(m.valid)))


def _container_mask(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """NVIDIA_VISIBLE_DEVICES inside a container: the runtime read it at start; no GPU here means it exposed none."""
    inv = ctx.inventory
    value = inv.env.get("NVIDIA_VISIBLE_DEVICES")
    if value is None or value.strip().lower() not in _CONTAINER_OFF or inv.container.in_container is not True \
            or inv.nvidia.gpus:
        return
    quoted = _quoted("NVIDIA_VISIBLE_DEVICES", value)
    driver = inv.nvidia.driver
    if "nvidia" not in ctx.options.expect and not (driver and (driver.version or driver.libcuda_version or driver.kernel_module_version)):
        yield CannotDecide(f"{quoted} is set in this container, so the NVIDIA container runtime exposed no GPU; "
                           "whether the node has GPUs cannot be seen from inside.",
                           missing=["whether the host has NVIDIA GPUs"],
                           settle=["--expect nvidia where this container must use a GPU"],
                           subject="NVIDIA_VISIBLE_DEVICES", severity="info")
        return
    yield Hit(f"{quoted} is set in this container: the NVIDIA container runtime exposed no GPU to it, "
              "so frameworks will see none.",
              subject="NVIDIA_VISIBLE_DEVICES",
              evidence=[Evidence("NVIDIA_VISIBLE_DEVICES", repr(value), "environment"),
                        Evidence("NVIDIA GPUs in the container", "none", "NVML")],
              fixes=[FixStep("Start the container with the GPUs",
                             commands=["docker run --gpus all IMAGE"],
                             why="--gpus (or NVIDIA_VISIBLE_DEVICES=all) tells the NVIDIA container runtime which GPUs to expose",
                             risks=["changes-environment"], verify="nvidia-smi -L")])


@rule("ENV002", "visible-devices-name-missing-gpu", "warning",
      decides_on=("the visible-device variables", "the node's GPUs (count, UUIDs)"))
def visible_devices_name_missing_gpu(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """A visible-device variable names GPUs that do not exist here.

    The job sees fewer GPUs than its launcher asked for: CUDA stops reading
    ``CUDA_VISIBLE_DEVICES`` at the first entry that names no GPU (an index past the last
    one, a UUID of another machine), so ``0,7,1`` on a two-GPU node shows only GPU 0, and a
    multi-GPU job started for N devices finds fewer (rank-to-device mappings fail, or work
    piles onto one GPU). Usually the mask was written for another node or leaked from a
    scheduler. List only GPUs of this node, or unset the variable.

    References: CUDA Programming Guide, "CUDA Environment Variables"
    (https://docs.nvidia.com/cuda/cuda-programming-guide/05-appendices/environment-variables.html);
    Level Zero "Affinity Mask" (https://spec.oneapi.io/level-zero/latest/core/PROG.html#affinity-mask);
    report: https://github.com/syorami/DDC-transfer-learning/issues/3 (a script's
    ``CUDA_VISIBLE_DEVICES="2"`` on a machine without GPU 2).
    """
    for m in masks(ctx.inventory):
        r = m.reading
        if r is None or r.hides_all:
            continue  # ENV001 speaks for these
        if not r.decided:
            if r.visible:  # with none visible, ENV001 reports it undecided
                yield _undecided(m, "names GPUs that do not exist")
            continue
        # a trailing comma ("0,") ends the list where it ended anyway: nothing is lost
        stopped = r.stop_kind in ("invalid", "repeated") and (r.stopped_by != "" or bool(r.unread))
        if not r.absent and not stopped:
            continue
        named = f"names {', '.join(r.absent)}, which {'does' if len(r.absent) == 1 else 'do'} not exist on this node" \
            if r.absent else f"stops at {r.stopped_by!r} ({r.why_stopped})"
        hidden = f"; parsing stops there, so {', '.join(r.unread)} after it {'is' if len(r.unread) == 1 else 'are'} ignored" \
            if r.unread else ""
        yield Hit(f"{_quoted(m.variable, m.value)} {named}{hidden}: only {', '.join(r.visible)} "
                  f"{'stays' if len(r.visible) == 1 else 'stay'} visible.",
                  subject=m.variable,
                  evidence=[Evidence(m.variable, repr(m.value), "environment"),
                            Evidence(f"{m.vendor} GPUs", m.gpus or str(r.device_count), "probes")],
                  fixes=_fixes(m, list(m.keep)))
