"""The machine accelctl runs on."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from accelctl.host.base import CommandResult
from accelctl.host.commands import run_within
from accelctl.host.deadline import Deadline
from accelctl.host.device_process import DeviceProcess
from accelctl.host.filesystem import FileSystemHost

# Seconds a vendor library may take to start (nvmlInit, each GPU's first handle) or to answer one call; a driver
# without persistence mode can take seconds per GPU to initialise.
DEVICE_DEADLINE_S = 20.0
DEADLINE_VAR = "ACCELCTL_DEVICE_TIMEOUT"


class LiveHost(FileSystemHost):
    """Files from "/", the real environment, real commands; NVML and amdsmi through child processes."""

    can_run_commands = True
    can_query_devices = True

    def __init__(self, env: Mapping[str, str] | None = None, deadline: Deadline | None = None) -> None:
        env = env if env is not None else dict(os.environ)
        super().__init__("/", env, label="this machine",
                         deadline=deadline if deadline is not None else Deadline.from_environ(env))
        self._nvml = self._library("NVML")
        self._amdsmi = self._library("amdsmi")

    def _library(self, name: str) -> DeviceProcess:
        """A library's child; it inherits this process's environment (LD_LIBRARY_PATH decides what it loads)."""
        try:
            deadline = float(self.env.get(DEADLINE_VAR, "") or DEVICE_DEADLINE_S)
        except ValueError:
            deadline = DEVICE_DEADLINE_S
        return DeviceProcess(name, deadline=max(deadline, 0.1), run_deadline=self.deadline)

    def warm_up(self) -> None:
        """Start NVML's child where an NVIDIA driver shows itself (a file check): it starts while probes read files."""
        if os.path.exists("/proc/driver/nvidia") or os.path.exists("/dev/nvidiactl"):
            self._nvml.start()

    def release(self) -> None:
        """End the libraries' children (without waiting for them to be gone); a later call starts a new one."""
        if self._nvml.started:
            self._nvml.close(wait=False)
            self._nvml = self._library("NVML")
        if self._amdsmi.started:
            self._amdsmi.close(wait=False)
            self._amdsmi = self._library("amdsmi")

    def run(self, argv: Sequence[str], timeout: float = 5.0) -> CommandResult:
        return run_within(argv, timeout, self.deadline, env=self.env)

    def nvml(self, call: str, *args: Any) -> Any:
        return self._nvml.call(call, *args)

    def amdsmi(self, call: str, *args: Any) -> Any:
        return self._amdsmi.call(call, *args)
