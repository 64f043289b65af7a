"""A stand-in backend with LiveNvml's call shape, for tests of the device process (a real NVML needs a GPU)."""

from __future__ import annotations

import os
import signal
import sys
import time

from accelctl.host.base import DeviceLibraryError, NotSupported


class StandIn:
    def call(self, name, *args):
        if name == "nvmlSystemGetDriverVersion":
            return "580.159.04"
        if name == "pid":
            return os.getpid()
        if name == "nvmlDeviceGetMemoryInfo":
            return {"total": 150754820096, "free": 150121349120, "used": 633470976, "device": args[0]}
        if name == "nvmlDeviceGetFanSpeed":
            raise DeviceLibraryError("NVML", 3, "Not Supported")
        if name == "nvmlSystemGetTopologyGpuSet":
            raise NotSupported("this nvidia-ml-py has no nvmlSystemGetTopologyGpuSet")
        if name == "print":
            print("noise from the library")  # must not reach anyone
            return "quiet"
        if name == "hang":
            time.sleep(60)
        if name == "segfault":
            os.kill(os.getpid(), signal.SIGSEGV)
        if name == "garbage":
            os.write(int(sys.argv[-1]), b"\xff\xfe not a reply\n")
            time.sleep(60)
        if name == "bug":
            raise KeyError("surprise")
        return None
