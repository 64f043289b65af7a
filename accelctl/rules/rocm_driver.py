"""ROCm user space against the amdgpu kernel driver it runs on (AMD's user/kernel-space support window)."""

from __future__ import annotations

from collections.abc import Iterator

from accelctl.findings import Evidence, FixStep
from accelctl.rules.base import CannotDecide, Hit, RuleContext, rule

_SETTLE_PACKAGE = "run the doctor on the host (not in a container) so dpkg's record of amdgpu-dkms is readable, or check `dpkg -l amdgpu-dkms` / `rpm -q amdgpu-dkms`: the last part of the version before '-' is the ROCm release (6.2.4.50700 is ROCm 5.7.0)"


def _series(release: str) -> str:
    major, minor = release.split(".")[:2]
    return f"{major}.{minor}.x"


@rule("ROCM005", "rocm-outside-driver-window", "warning",
      decides_on=("version of the active ROCm", "ROCm release of the amdgpu-dkms driver", "driver series per ROCm release"))
def rocm_outside_driver_window(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """The ROCm user space is outside the amdgpu driver's supported window.

    AMD supports each ROCm release with the kernel-mode driver (amdgpu-dkms, now
    "AMD GPU Driver") of a few neighbouring releases only. Outside that window
    the runtime and the KFD interface may disagree: rocminfo reports
    "Incompatible kernel and userspace", devices go missing, or features fail.
    Seen after upgrading ROCm with ``--no-dkms`` or leaving an old DKMS module
    loaded.

    How to fix: install the amdgpu-dkms of a release inside the window (with
    ``amdgpu-install --usecase=dkms`` from that release's installer) and reboot,
    or install a ROCm release whose window includes the driver.

    References: AMD's user and kernel-space support matrix and ROCm
    compatibility matrix (the rocm matrix's compatible_kmd rows),
    https://rocm.docs.amd.com/projects/install-on-linux/en/latest/reference/user-kernel-space-compat-matrix.html;
    reports: https://github.com/nktice/AMD-AI/issues/1 (amdgpu-dkms 6.2.4.50700
    with ROCm 5.7.1), https://github.com/ROCm/legacy-rocm-build/issues/3608
    (an old DKMS module left behind by an upgrade)
    """
    amd = ctx.inventory.amd
    if not amd.gpus or not amd.rocm or amd.driver_kind != "dkms":
        return  # an inbox (distribution kernel) driver is judged by the OS support list, not this window
    from accelctl.matrices import MatrixError
    from accelctl.matrices.subjects.rocm import find, kmd_supported

    rocm = next((r for r in amd.rocm if r.active), amd.rocm[0])
    if not rocm.version:
        return  # ROCM001 reports the unknown ROCm version
    driver = amd.driver_rocm_release
    if not driver:
        yield CannotDecide(f"The ROCm release of the amdgpu-dkms driver ({amd.driver_version or 'version unknown'}) is "
                           f"unknown, so whether ROCm {rocm.version} is inside its window cannot be decided.",
                           missing=["ROCm release of the amdgpu-dkms driver"], settle=[_SETTLE_PACKAGE],
                           subject="amdgpu driver and ROCm")
        return
    try:
        entries = ctx.matrices.entries("rocm")
    except MatrixError as exc:
        yield CannotDecide(f"The rocm matrix could not be read ({exc}).", missing=["driver series per ROCm release"],
                           settle=["a matrices refresh"], subject="amdgpu driver and ROCm")
        return
    ok = kmd_supported(entries, rocm.version, _series(driver))
    if ok is None:
        yield CannotDecide(f"ROCm {rocm.version}'s driver window is not in the rocm matrix, so whether the amdgpu driver "
                           f"of ROCm {driver} is inside it cannot be decided.",
                           missing=[f"driver series supported by ROCm {rocm.version}"], settle=["a matrices refresh"],
                           subject="amdgpu driver and ROCm")
        return
    if ok:
        return
    entry = find(entries, rocm.version)
    window = ", ".join(entry.compatible_kmd or []) if entry else "unknown"
    users = sorted({e.rocm for e in entries if _series(driver) in (e.compatible_kmd or [])},
                   key=lambda v: tuple(int(p) for p in v.split(".")))
    yield Hit(f"ROCm {rocm.version} at {rocm.path} is supported with the amdgpu driver of {window}; the installed "
              f"amdgpu-dkms is ROCm {driver}'s ({amd.driver_package}).",
              subject="amdgpu driver and ROCm",
              evidence=[Evidence("ROCm", rocm.version, rocm.version_source or rocm.path),
                        Evidence("amdgpu-dkms", amd.driver_package or driver, "/var/lib/dpkg/status"),
                        Evidence(f"drivers supported by ROCm {rocm.version}", window, "rocm matrix")],
              fixes=[FixStep(f"Install the amdgpu-dkms of ROCm {rocm.version} (amdgpu-install --usecase=dkms from "
                             "that release's installer), then reboot", why=f"ROCm {rocm.version} supports {window}",
                             risks=["needs-root", "needs-reboot", "drains-node", "downloads"],
                             verify="accelctl doctor --select ROCM005", alternative="driver"),
                     *([FixStep(f"Or install a ROCm release inside this driver's window ({', '.join(users[-3:])})",
                                recommended=False, risks=["needs-root", "downloads"], alternative="user space")]
                       if users else [])])
