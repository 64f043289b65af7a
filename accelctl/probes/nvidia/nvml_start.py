"""Start NVML while the other first probes run, so the nvidia probe finds it ready.

Loading libnvidia-ml and ``nvmlInit`` take tens of milliseconds; most of it
is C code that releases the GIL. The nvidia probe needs the Python
environments first (for library resolution), so without this its NVML start
would wait for them. This probe fills no section and reports nothing: NVML
keeps the outcome (or the error, e.g. a driver/library version mismatch) and
the nvidia probe's own ``nvmlInit`` returns it, and records it, as before.
"""

from __future__ import annotations

import threading
from typing import Any

from accelctl.host.base import DeviceLibraryError, HostError, NotSupported
from accelctl.probes.base import Probe, ProbeContext

_DRIVER_SIGNS = ("/proc/driver/nvidia", "/dev/nvidiactl", "/dev/nvidia0")


def start(ctx: ProbeContext) -> Any:
    """Kick off ``nvmlInit`` in a daemon thread and return at once.

    Returning at once keeps a wedged driver from holding up the first probes:
    only the nvidia probe waits for NVML, under its own timeout, as before.
    """
    host = ctx.host
    if not getattr(host, "can_query_devices", False) or not any(host.exists(p) for p in _DRIVER_SIGNS):
        return None
    threading.Thread(target=_init, args=(host,), name="nvml-start", daemon=True).start()
    return None


def _init(host: Any) -> None:
    try:
        host.nvml("nvmlInit")
    except (DeviceLibraryError, NotSupported, HostError):
        pass  # the nvidia probe calls nvmlInit again and reports the same outcome


PROBE = Probe(name="nvml_start", section="nvml_start", run=start, timeout=30.0)
