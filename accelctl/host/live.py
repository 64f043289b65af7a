"""The machine accelctl runs on."""

from __future__ import annotations

import os
from typing import Any, Mapping, Optional, Sequence

from accelctl.host.base import CommandResult
from accelctl.host.commands import run_command
from accelctl.host.device_libs import LiveAmdSmi, LiveNvml
from accelctl.host.filesystem import FileSystemHost


class LiveHost(FileSystemHost):
    """Files from "/", the real environment, real commands, NVML and amdsmi."""

    can_run_commands = True
    can_query_devices = True

    def __init__(self, env: Optional[Mapping[str, str]] = None) -> None:
        super().__init__("/", env if env is not None else dict(os.environ), label="this machine")
        self._nvml = LiveNvml()
        self._amdsmi = LiveAmdSmi()

    def warm_up(self) -> None:
        """Start NVML's initialisation in the background when an NVIDIA driver shows itself (a file check)."""
        if os.path.exists("/proc/driver/nvidia") or os.path.exists("/dev/nvidiactl"):
            self._nvml.start()

    def run(self, argv: Sequence[str], timeout: float = 5.0) -> CommandResult:
        return run_command(argv, timeout, env=self.env)

    def nvml(self, call: str, *args: Any) -> Any:
        return self._nvml.call(call, *args)

    def amdsmi(self, call: str, *args: Any) -> Any:
        return self._amdsmi.call(call, *args)
