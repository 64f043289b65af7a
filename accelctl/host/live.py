"""The machine accelctl runs on."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from accelctl.host.base import CommandResult
from accelctl.host.commands import run_command
from accelctl.host.device_libs import LiveAmdSmi, LiveNvml
from accelctl.host.filesystem import FileSystemHost


class LiveHost(FileSystemHost):
    """Files from "/", the real environment, real commands, NVML and amdsmi."""

    can_run_commands = True
    can_query_devices = True

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__("/", env if env is not None else dict(os.environ), label="this machine")
        self._nvml: Any = LiveNvml()  # an NvmlProcess once warm_up has started one
        self._amdsmi = LiveAmdSmi()

    def warm_up(self) -> None:
        """Start NVML in a process of its own (else a thread) when an NVIDIA driver shows itself (a file check)."""
        if not (os.path.exists("/proc/driver/nvidia") or os.path.exists("/dev/nvidiactl")):
            return
        nvml = self._nvml
        if not isinstance(nvml, LiveNvml) or nvml.started:
            return  # already served from its process, or already starting in this one
        from accelctl.host.nvml_process import NvmlProcess

        served = NvmlProcess(LiveNvml)
        if served.start():
            self._nvml = served
        else:
            nvml.start()

    def release(self) -> None:
        """End NVML's process, if warm_up started one (without waiting for it to be gone); later calls use NVML
        in this process."""
        close = getattr(self._nvml, "close", None)
        if close is not None:
            close(wait=False)
            self._nvml = LiveNvml()

    def run(self, argv: Sequence[str], timeout: float = 5.0) -> CommandResult:
        return run_command(argv, timeout, env=self.env)

    def nvml(self, call: str, *args: Any) -> Any:
        return self._nvml.call(call, *args)

    def amdsmi(self, call: str, *args: Any) -> Any:
        return self._amdsmi.call(call, *args)
