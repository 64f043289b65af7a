"""How the visible-device variables select GPUs: pure readers of a mask against the GPUs the inventory knows.

Each reader models its runtime's documented parsing and returns a ``MaskReading``: which
devices stay visible, which entries name devices that do not exist, which entries were never
read because parsing stopped, and which could not be resolved from what is known (then the
check is undecided, never a pass).

- CUDA_VISIBLE_DEVICES (CUDA Programming Guide, "CUDA Environment Variables",
  https://docs.nvidia.com/cuda/cuda-programming-guide/05-appendices/environment-variables.html):
  unset shows every GPU, an empty value none; a comma-separated list of indices, ``GPU-<uuid>``
  (a unique prefix is enough) or ``MIG-<uuid>``; at the first invalid entry (``-1``, an index
  past the last GPU, an unknown UUID) parsing stops and only the entries before it count.
  PyTorch reads it the same way before initialising CUDA (``torch/cuda/__init__.py``,
  ``_parse_visible_devices``: strtoul-like indices, a repeated entry gives no device).
- HIP_VISIBLE_DEVICES (and CUDA_VISIBLE_DEVICES under HIP): device indices exposed to HIP
  applications; ROCR_VISIBLE_DEVICES: device indices or UUIDs exposed by the ROCm runtime
  (ROCm "GPU isolation techniques", https://rocm.docs.amd.com/en/docs-6.1.2/conceptual/gpu-isolation.html).
- NVIDIA_VISIBLE_DEVICES: read by the NVIDIA container runtime when the container starts; ``void``,
  empty or unset expose no GPU and no driver, ``none`` the driver but no GPU
  (https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/1.20.2/docker-specialized.html).
- ZE_AFFINITY_MASK: Level Zero devices and sub-devices, ``device`` or ``device.subdevice``
  (https://spec.oneapi.io/level-zero/latest/core/PROG.html#affinity-mask).
- ONEAPI_DEVICE_SELECTOR: ``[!]backend:device[,device...]`` terms separated by ``;``
  (https://intel.github.io/llvm/EnvironmentVariables.html); a malformed string stops the SYCL runtime
  ("Error parsing selector string \"level_zero:gpu:0\" Too many colons",
  https://github.com/IntelPython/dpctl/issues/1406).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field

from accelctl.record import record


@record
class Device:
    """A GPU the inventory knows: its index, and its UUIDs (None: not known)."""

    index: int
    uuid: str | None = None
    mig_uuids: tuple[str, ...] | None = ()  # None: MIG state or instances unknown


@record
class MaskReading:
    variable: str
    value: str
    device_count: int
    visible: list[str] = field(default_factory=list)  # entries that select an existing device, in order
    absent: list[str] = field(default_factory=list)  # entries that name a device that does not exist
    unread: list[str] = field(default_factory=list)  # entries after the one that stopped parsing
    unresolved: list[str] = field(default_factory=list)  # entries that cannot be checked with what is known
    stopped_by: str | None = None  # the entry that stopped parsing
    why_stopped: str = ""
    stop_kind: str = ""  # absent | invalid | repeated | terminator (a negative index, which ends the list on purpose)
    hides_all: bool = False  # decided: no device stays visible
    note: str = ""  # a sentence on a special value ("an empty value hides every GPU")

    @property
    def decided(self) -> bool:
        return not self.unresolved


def _strtoul(entry: str) -> int | None:
    """The index CUDA reads from an entry: leading digits after blanks (``1gpu`` is 1); None when there are none."""
    text = entry.lstrip().removeprefix("+")
    digits = len(text) - len(text.lstrip("0123456789"))
    return int(text[:digits]) if digits else None


def read_cuda_mask(value: str, devices: Sequence[Device], variable: str = "CUDA_VISIBLE_DEVICES") -> MaskReading:
    """CUDA_VISIBLE_DEVICES against the node's GPUs (NVML order: the order nvidia-smi shows)."""
    reading = MaskReading(variable, value, len(devices))
    if not value.strip():
        reading.hides_all = True
        reading.note = f"an empty {variable} hides every GPU"
        return reading
    entries = [e.strip() for e in value.split(",")]
    seen: set[str] = set()
    for pos, entry in enumerate(entries):
        key, kind, why = _resolve_cuda_entry(entry, devices)
        if kind == "unresolved":  # whether parsing stops here is unknown, so everything after it is too
            reading.unresolved = entries[pos:]
            break
        if kind == "ok" and key in seen:
            kind, why = "repeated", f"{entry} names a GPU already listed"
        if kind != "ok":
            reading.stopped_by, reading.why_stopped, reading.stop_kind = entry, why, kind
            if kind == "absent":
                reading.absent.append(entry)
            reading.unread = entries[pos + 1:]
            break
        seen.add(key)
        reading.visible.append(entry)
    if entries[0].startswith("-") and not reading.visible:
        reading.note = f"{variable}={value} hides every GPU"
    reading.hides_all = not reading.visible and not reading.unresolved
    return reading


def _resolve_cuda_entry(entry: str, devices: Sequence[Device]) -> tuple[str, str, str]:
    """(device key, kind, why): kind is ok, absent (names no device), invalid, terminator, or unresolved."""
    if entry.startswith("GPU-"):
        if any(d.uuid is None for d in devices):
            return "", "unresolved", "GPU UUIDs unknown"
        matches = [d.index for d in devices if d.uuid and d.uuid.startswith(entry)]
        if len(matches) == 1:
            return f"gpu {matches[0]}", "ok", ""
        return "", "absent", f"{entry} matches {'no GPU' if not matches else 'more than one GPU'} here"
    if entry.startswith("MIG-"):
        if any(d.mig_uuids is None for d in devices):
            return "", "unresolved", "MIG device UUIDs unknown"
        migs = [m for d in devices for m in (d.mig_uuids or ()) if m.startswith(entry)]
        if len(migs) == 1:
            return f"mig {migs[0]}", "ok", ""
        return "", "absent", f"{entry} matches {'no MIG device' if not migs else 'more than one MIG device'} here"
    if entry.startswith("-"):
        return "", "terminator", f"{entry} is a negative index, which ends the list"
    index = _strtoul(entry)
    if index is None:
        return "", "invalid", f"{entry!r} is neither an index nor a GPU-/MIG- UUID"
    if index >= len(devices):
        return "", "absent", f"there is no GPU {index} (the node has {len(devices)})"
    return f"gpu {index}", "ok", ""


def read_index_mask(value: str, count: int, variable: str, uuids_known: bool = False) -> MaskReading:
    """A ROCm mask (HIP_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES) of indices or ``GPU-`` UUIDs, for ``count`` GPUs.

    The ROCm documents do not say whether an invalid entry ends the list, so every entry is read: an
    index past the last GPU is reported as absent, and the mask hides every GPU only when no entry is valid.
    AMD UUIDs are not in the inventory, so a ``GPU-`` entry leaves the check undecided.
    """
    reading = MaskReading(variable, value, count)
    for raw in value.split(","):
        entry = raw.strip()
        if entry.upper().startswith("GPU-") and not uuids_known:
            reading.unresolved.append(entry)
            continue
        index = _strtoul(entry) if not entry.startswith("-") else None
        if index is not None and index < count:
            reading.visible.append(entry)
        else:
            reading.absent.append(entry)
    reading.hides_all = not reading.visible and not reading.unresolved
    return reading


def read_ze_mask(value: str, count: int) -> MaskReading:
    """ZE_AFFINITY_MASK: ``device`` or ``device.subdevice`` entries; a device index past the last GPU is absent."""
    reading = MaskReading("ZE_AFFINITY_MASK", value, count)
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            continue
        head = entry.split(".", 1)[0]
        if head.isdigit() and int(head) < count:
            reading.visible.append(entry)
        else:
            reading.absent.append(entry)
    reading.hides_all = bool(reading.absent) and not reading.visible
    return reading


_BACKENDS = ("level_zero", "opencl", "cuda", "hip", "native_cpu", "*")


def read_oneapi_selector(value: str, count: int) -> MaskReading:
    """ONEAPI_DEVICE_SELECTOR for the Level Zero GPUs (what PyTorch's XPU backend and IPEX use).

    A GPU stays visible when a positive term selects the ``level_zero`` (or ``*``) backend with
    ``*``, ``gpu`` or its index, and no negative (``!``) term removes it; with only negative
    terms, everything they do not remove stays. A malformed term stops the runtime at start-up.
    """
    reading = MaskReading("ONEAPI_DEVICE_SELECTOR", value, count)
    positive: set[int] = set()
    negative: set[int] = set()
    any_positive = False
    for raw in value.split(";"):
        term = raw.strip()
        if not term:
            continue
        negate = term.startswith("!")
        backend, sep, devices = term.lstrip("!").partition(":")
        if not sep or ":" in devices or backend.strip().lower() not in _BACKENDS or not devices.strip():
            reading.stopped_by = term
            reading.why_stopped = f"{term!r} is not a backend:devices term (the SYCL runtime rejects the selector)"
            reading.absent.append(term)
            reading.hides_all = True
            return reading
        any_positive = any_positive or not negate
        if backend.strip().lower() not in ("level_zero", "*"):
            continue
        chosen = positive if not negate else negative
        for dev in (d.strip().lower() for d in devices.split(",")):
            head = dev.split(".", 1)[0]
            if dev in ("*", "gpu"):
                chosen.update(range(count))
            elif head.isdigit():
                if int(head) < count:
                    chosen.add(int(head))
                elif not negate:
                    reading.absent.append(f"{backend}:{dev}")
    selected = (positive if any_positive else set(range(count))) - negative
    reading.visible = [str(i) for i in sorted(selected)]
    reading.hides_all = not selected
    return reading
