"""NVIDIA driver rules that need no matrix: the kernel module and userspace must agree."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from accelctl.findings import Evidence, FixStep
from accelctl.rules.base import CannotDecide, Hit, RuleContext, rule


@rule("DRV002", "driver-userspace-mismatch", "error",
      decides_on=("kernel module version", "libcuda version (or NVML initialising)"))
def driver_userspace_mismatch(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """The loaded kernel module and the userspace driver (libcuda, NVML) are different versions.

    After a driver upgrade without a reboot, or in a container that mounts
    another driver's libraries, ``libcuda.so`` no longer matches the kernel
    module: every CUDA call fails (``CUDA driver version is insufficient`` or
    ``system has unsupported display driver / cuda driver combination``) and NVML
    reports "Driver/library version mismatch". Unattended upgrades that replace
    the userspace packages under a running module are the usual cause.

    How to fix: reboot (or, with no GPU process running, unload and reload the
    modules) so the module matches the installed userspace. If the mismatch
    stays after a reboot, the module on disk is not the userspace's version:
    reinstall the driver packages (``apt-get install --reinstall`` on
    Debian/Ubuntu, ``dnf reinstall`` on RHEL/Fedora) so DKMS rebuilds the module
    and the initramfs takes it, then reboot. Hold the driver packages
    (``apt-mark hold``, ``dnf versionlock``) so they change only in a planned
    reboot window. In a container, mount the host's matching libraries (the
    NVIDIA Container Toolkit does).

    References: NVIDIA Driver Installation Guide,
    https://docs.nvidia.com/datacenter/tesla/driver-installation-guide/; reports:
    https://github.com/oddmario/NVIDIA-Ubuntu-Driver-Guide/issues/4 (apt upgrade
    without reboot), https://github.com/lyulyul/shine-cluster/issues/30
    (unattended-upgrade replaced libnvidia-common), https://github.com/illinois-scicomp/machine-shop-maintenance/issues/70
    (reboot alone did not fix it)
    """
    drv = ctx.inventory.nvidia.driver
    if drv is None:
        return
    kernel, user = drv.kernel_module_version, drv.libcuda_version
    mismatch = bool(kernel and user and kernel != user)
    nvml = (drv.nvml_error or "").lower()
    nvml_ok = bool(drv.version) and not drv.nvml_error  # NVML refuses to start when the two disagree
    if not mismatch and "mismatch" not in nvml:
        if not (kernel and user) and not nvml_ok and ctx.inventory.mode != "rootfs" and ctx.inventory.nvidia.gpus:
            yield CannotDecide("Whether the kernel module and userspace driver agree cannot be decided: "
                               f"kernel module {kernel or 'unknown'}, libcuda {user or 'unknown'}, and NVML gave no answer.",
                               missing=[f"{'kernel module' if not kernel else 'libcuda'} version"],
                               settle=["run on the node with /proc/driver/nvidia/version readable and NVML available"],
                               subject="NVIDIA driver")
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
            *package_fixes(ctx.inventory.os.distro_id, ctx.inventory.os.distro_like),
        ],
    )


# The installed NVIDIA driver packages, by name (dpkg: status "ii"; rpm: every installed package whose name says nvidia).
_DEB_NVIDIA = "$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\\n' '*nvidia*' | awk '$1 == \"ii\" {print $2}')"
_RPM_NVIDIA = "$(rpm -qa --qf '%{NAME}\\n' '*nvidia*')"


def package_family(distro_id: str | None, distro_like: Sequence[str]) -> str | None:
    """apt or dnf, from os-release ID and ID_LIKE; None for other or unknown systems."""
    names = {distro_id or "", *distro_like}
    if names & {"debian", "ubuntu"}:
        return "apt"
    if names & {"rhel", "fedora", "centos", "rocky", "almalinux", "ol", "amzn"}:
        return "dnf"
    return None


def package_fixes(distro_id: str | None, distro_like: Sequence[str]) -> list[FixStep]:
    """Reinstall the driver packages where a reboot alone leaves the mismatch, and hold them against upgrades."""
    family = package_family(distro_id, distro_like)
    if family == "apt":
        return [
            FixStep("If the mismatch stays after a reboot: reinstall the installed NVIDIA driver packages so DKMS "
                    "rebuilds the module, refresh the initramfs, reboot",
                    commands=[f"sudo apt-get install --reinstall -y {_DEB_NVIDIA}", "sudo update-initramfs -u",
                              "sudo systemctl reboot"],
                    why="the module on disk or in the initramfs is not the userspace's version",
                    recommended=False, risks=["needs-root", "needs-reboot", "drains-node", "downloads"],
                    verify="cat /proc/driver/nvidia/version && nvidia-smi", alternative="reinstall the packages"),
            FixStep("Hold the installed NVIDIA packages so unattended upgrades cannot replace them under a running module",
                    commands=[f"sudo apt-mark hold {_DEB_NVIDIA}"],
                    why="upgrade them deliberately (apt-mark unhold), in a reboot window",
                    risks=["needs-root"], verify="apt-mark showhold"),
        ]
    if family == "dnf":
        return [
            FixStep("If the mismatch stays after a reboot: reinstall the installed NVIDIA driver packages so DKMS "
                    "rebuilds the module, refresh the initramfs, reboot",
                    commands=[f"sudo dnf reinstall -y {_RPM_NVIDIA}", "sudo dracut -f", "sudo systemctl reboot"],
                    why="the module on disk or in the initramfs is not the userspace's version",
                    recommended=False, risks=["needs-root", "needs-reboot", "drains-node", "downloads"],
                    verify="cat /proc/driver/nvidia/version && nvidia-smi", alternative="reinstall the packages"),
            FixStep("Lock the installed NVIDIA packages so automatic updates cannot replace them under a running module",
                    commands=["sudo dnf install -y 'dnf-command(versionlock)'", f"sudo dnf versionlock add {_RPM_NVIDIA}"],
                    why="upgrade them deliberately (dnf versionlock delete), in a reboot window",
                    risks=["needs-root", "downloads"], verify="dnf versionlock list"),
        ]
    return []


@rule("DRV003", "driver-branch-end-of-life", "warning",
      decides_on=("NVIDIA driver version", "end-of-life date of its branch"))
def driver_branch_end_of_life(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """The NVIDIA driver's branch has reached end of life.

    NVIDIA stops security and bug-fix releases for a branch at its end of life
    (dates on the data-center driver lifecycle page). It keeps working, but new
    CUDA releases, new GPUs and fixes need a supported branch. Plan an upgrade to
    a supported production or long-term branch.
    """
    from accelctl.matrices import MatrixError
    from accelctl.rules.cuda import ASSUME_DRIVER, REFRESH

    drv = ctx.inventory.nvidia.driver
    driver = (drv.version or drv.kernel_module_version) if drv else None
    if not driver:
        if ctx.inventory.nvidia.gpus:
            yield CannotDecide("The NVIDIA driver version is unknown, so whether its branch is still supported cannot be "
                               "decided.", missing=["NVIDIA driver version"], settle=[ASSUME_DRIVER], subject="NVIDIA driver",
                               severity="info")
        return
    from accelctl.matrices.subjects.nvidia_driver_branches import eol_date, find_branch, is_eol

    try:
        entries = ctx.matrices.entries("nvidia_driver_branches")
    except MatrixError as exc:
        yield CannotDecide(f"The driver branch data could not be read ({exc}).", missing=["NVIDIA driver branch dates"],
                           settle=[REFRESH], subject="NVIDIA driver", severity="info")
        return
    eol = is_eol(entries, driver, ctx.today)
    if eol is None:
        yield CannotDecide(f"Driver {driver}'s branch is not in the nvidia_driver_branches matrix, so its end of life "
                           "cannot be decided.", missing=[f"end-of-life date of the branch of {driver}"], settle=[REFRESH],
                           subject="NVIDIA driver", severity="info")
        return
    if eol is not True:
        return
    branch = find_branch(entries, driver)
    when = eol_date(branch) if branch else None
    supported = sorted((e for e in entries if is_eol(entries, f"{str(e.branch).lstrip('R')}.0", ctx.today) is False),
                       key=lambda e: int(str(e.branch).lstrip("R")))
    yield Hit(f"Driver {driver} is on branch {branch.branch if branch else '?'}, which reached end of life"
              + (f" on {when.isoformat()}" if when else "") + ".",
              subject="NVIDIA driver",
              evidence=[Evidence("driver", driver, (drv.version_source if drv else None) or "NVML"),
                        Evidence("branch end of life", when.isoformat() if when else "declared", "nvidia_driver_branches matrix")],
              fixes=[FixStep("Upgrade to a supported branch" + (f" ({', '.join(str(e.branch) for e in supported[-3:])})" if supported else ""),
                             why="an end-of-life branch gets no security or bug fixes",
                             risks=["needs-root", "needs-reboot", "drains-node"], verify="nvidia-smi")])


@rule("DRV005", "gpu-newer-than-driver", "error",
      decides_on=("NVIDIA driver version", "compute capability of each GPU", "first driver per architecture"))
def gpu_newer_than_driver(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """The GPU is newer than the driver: the driver cannot run it.

    Support for a GPU architecture arrives with a driver branch (Hopper with
    R520, Blackwell with R570: the branch released with the first CUDA toolkit
    that targets it). An older driver does not bind to the GPU or fails CUDA
    initialisation. Seen when a fleet spec or an image assumes an old driver on
    new hardware. Upgrade the driver.
    """
    gpus = ctx.inventory.nvidia.gpus
    if not gpus:
        return
    from accelctl.matrices.base import driver_key
    from accelctl.matrices.subjects.cuda_toolkit import gpu_min_driver as toolkit_gpu_min_driver
    from accelctl.rules.cuda import ASSUME_DRIVER, REFRESH

    drv = ctx.inventory.nvidia.driver
    driver = (drv.version or drv.kernel_module_version) if drv else None
    if not driver:
        yield CannotDecide("The NVIDIA driver version is unknown, so whether it supports the GPUs cannot be decided.",
                           missing=["NVIDIA driver version"], settle=[ASSUME_DRIVER], subject="NVIDIA driver")
        return
    unknown = sorted({f"GPU {g.index} ({g.name})" for g in gpus if not g.compute_capability})
    if unknown:
        yield CannotDecide(f"The compute capability of {', '.join(unknown)} is unknown, so whether driver {driver} "
                           "supports it cannot be decided.", missing=[f"compute capability of {u}" for u in unknown],
                           settle=["--assume cc=X.Y (e.g. --assume cc=8.9)", REFRESH], subject="NVIDIA GPUs")
    for cc in sorted({g.compute_capability for g in gpus if g.compute_capability}):
        floor = toolkit_gpu_min_driver(ctx.matrices.entries_or_empty("cuda_toolkit"),
                                       ctx.matrices.entries_or_empty("cuda_arch_support"), cc)
        if not floor:
            yield CannotDecide(f"The first driver for sm_{cc.replace('.', '')} is not in the matrices, so whether driver "
                               f"{driver} supports it cannot be decided.", missing=[f"first driver for compute capability {cc}"],
                               settle=[REFRESH], subject=f"GPUs sm_{cc.replace('.', '')}")
            continue
        try:
            too_old = driver_key(driver) < driver_key(floor)
        except ValueError:
            continue
        if not too_old:
            continue
        names = ", ".join(sorted({g.name for g in ctx.inventory.nvidia.gpus if g.compute_capability == cc}))
        yield Hit(f"{names} (sm_{cc.replace('.', '')}) needs driver {floor} or newer; the driver is {driver}.",
                  subject=f"GPUs sm_{cc.replace('.', '')}",
                  evidence=[Evidence("driver", driver, drv.version_source if drv else ""),
                            Evidence(f"first driver for sm_{cc.replace('.', '')}", floor, "cuda_arch_support + cuda_toolkit matrices")],
                  fixes=[FixStep(f"Upgrade the NVIDIA driver to {floor} or newer", risks=["needs-root", "needs-reboot", "drains-node"],
                                 verify="nvidia-smi && accelctl doctor --select DRV005")])
