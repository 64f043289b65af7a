"""NVIDIA driver rules that need no matrix: the kernel module and userspace must agree."""

from __future__ import annotations

from typing import Iterator

from accelctl.findings import Evidence, FixStep
from accelctl.rules.base import Hit, RuleContext, rule


@rule("DRV002", "driver-userspace-mismatch", "error")
def driver_userspace_mismatch(ctx: RuleContext) -> Iterator[Hit]:
    """The loaded kernel module and the userspace driver (libcuda, NVML) are different versions.

    After a driver upgrade without a reboot, or in a container that mounts
    another driver's libraries, ``libcuda.so`` no longer matches the kernel
    module: every CUDA call fails (``CUDA driver version is insufficient`` or
    ``system has unsupported display driver / cuda driver combination``) and NVML
    reports "Driver/library version mismatch". Reboot (or reload the module) so
    both are the new version, or mount the matching libraries.
    """
    drv = ctx.inventory.nvidia.driver
    if drv is None:
        return
    kernel, user = drv.kernel_module_version, drv.libcuda_version
    mismatch = bool(kernel and user and kernel != user)
    nvml = (drv.nvml_error or "").lower()
    if not mismatch and "mismatch" not in nvml:
        return
    detail = f"kernel module {kernel or 'unknown'}, libcuda {user or 'unknown'}"
    yield Hit(
        f"NVIDIA driver mismatch: {detail}" + (f"; NVML says: {drv.nvml_error}" if drv.nvml_error else "") + ".",
        subject="NVIDIA driver",
        evidence=[Evidence("kernel module", kernel or "unknown", "/proc/driver/nvidia/version"),
                  Evidence("libcuda", user or "unknown", drv.libcuda_path or "libcuda.so.<version>"),
                  *([Evidence("NVML", drv.nvml_error, "nvmlInit")] if drv.nvml_error else [])],
        fixes=[
            FixStep("Reboot the node so the new kernel module loads", commands=["sudo systemctl reboot"],
                    why="the userspace was upgraded; the old module is still loaded",
                    risks=["needs-root", "needs-reboot", "drains-node"], verify="nvidia-smi && accelctl doctor --select DRV002",
                    alternative="reload the module"),
            FixStep("Or unload and reload the NVIDIA modules (no GPU process may be running)",
                    commands=["sudo systemctl stop nvidia-persistenced", "sudo rmmod nvidia_uvm nvidia_drm nvidia_modeset nvidia",
                              "sudo modprobe nvidia", "sudo systemctl start nvidia-persistenced"],
                    why="loads the module that matches the installed userspace", recommended=False,
                    risks=["needs-root", "drains-node"], verify="nvidia-smi", alternative="reload the module"),
        ],
    )
