"""ROCm gfx fixes, driver mismatch fixes per package manager, multi-node readiness and non-Linux inventories.

Each test rebuilds a public report's setup with ``make_inventory`` from the facts the report
states; the docstring names the report and the facts taken from it. Reports read 2026-12-05.
"""

from __future__ import annotations

import dataclasses

from accelctl.inventory.fabric import FabricInfo, FoundLibrary, RdmaDevice
from accelctl.inventory.system import OsInfo
from accelctl.matrices import MatrixSet
from accelctl.rules import by_id, check_rules
from accelctl.rules.base import RuleContext, RuleOptions
from tests.builders import H100, make_inventory, run_rule

UNSTATED_GPU = ("GPU model not stated in the report", None)
# roc-obj-ls of libtorch_hip.so in a torch ROCm 6.2 wheel, as listed in https://github.com/pytorch/pytorch/issues/132570
ROCM62_WHEEL_TARGETS = ["gfx1030", "gfx1100", "gfx900", "gfx906", "gfx908", "gfx90a", "gfx942"]


def outcome(rule_id, inv):
    return check_rules(RuleContext(inv, MatrixSet(), RuleOptions()), [by_id()[rule_id]])


def with_torch_archs(inv, archs):
    env = inv.python[0]
    fws = [dataclasses.replace(f, compiled_archs=list(archs), archs_source="roc-obj-ls") for f in env.frameworks]
    return dataclasses.replace(inv, python=[dataclasses.replace(env, frameworks=fws)])


def with_os(inv, distro_id, like=(), system="linux"):
    return dataclasses.replace(inv, os=dataclasses.replace(inv.os, distro_id=distro_id, distro_like=list(like),
                                                           system=system))


def commands(finding):
    return [c for step in finding.fixes for c in step.commands]


# --- ROCM002: fixes that work -------------------------------------------------------------------


def test_rocm002_gfx1031_gets_the_isa_compatible_override():
    """https://github.com/pytorch/pytorch/issues/132570 (pkrasicki, 2024-12-28)

    Facts: "RX 6700 XT (gfx1031)", "torch 2.5.1+rocm6.2"; the wheel's targets as another
    reporter in the thread listed them with roc-obj-ls (gfx1030 ... gfx942, no gfx1031). The
    reporter ran with HSA_OVERRIDE_GFX_VERSION=10.3.0: the override this rule proposes.
    """
    inv = with_torch_archs(make_inventory(amd_gpus=[("AMD Radeon RX 6700 XT", "gfx1031")],
                                          dists=[("torch", "2.5.1+rocm6.2", [])]), ROCM62_WHEEL_TARGETS)
    [f] = run_rule("ROCM002", inv)
    assert f.severity == "error" and "this GPU is gfx1031" in f.message
    assert "export HSA_OVERRIDE_GFX_VERSION=10.3.0" in commands(f)
    override = next(s for s in f.fixes if "HSA_OVERRIDE_GFX_VERSION" in s.title)
    assert "gfx10-3-generic" in override.title and "ISA family" in override.why


def test_rocm002_gfx1010_has_no_family_member_in_the_wheel():
    """https://github.com/pytorch/pytorch/issues/132570 (Giger22, 2024-08-28)

    Facts: "Radeon 5700XT" (gfx1010), "HIP error: invalid device function", a torch ROCm 6.2
    wheel whose libtorch_hip.so holds gfx1030, gfx1100, gfx900, gfx906, gfx908, gfx90a, gfx942.
    The torch release is not stated (2.5.1, the thread's first ROCm 6.2 release, stands in).
    gfx1010's family (gfx10-1-generic) has no member in that list: no override is offered.
    """
    inv = with_torch_archs(make_inventory(amd_gpus=[("AMD Radeon RX 5700 XT", "gfx1010")],
                                          dists=[("torch", "2.5.1+rocm6.2", [])]), ROCM62_WHEEL_TARGETS)
    [f] = run_rule("ROCM002", inv)
    assert "this GPU is gfx1010" in f.message
    assert not any("HSA_OVERRIDE_GFX_VERSION" in c for c in commands(f))
    assert "PYTORCH_ROCM_ARCH" in f.fixes[0].title


def test_rocm002_proposes_a_build_that_lists_the_target():
    """The pytorch matrix's 2.4.1+rocm6.1 build lists gfx1100 (PyTorch's PYTORCH_ROCM_ARCH); a gfx1100 GPU on a
    wheel whose targets lack it is offered that build, with a command pip accepts as printed."""
    inv = with_torch_archs(make_inventory(amd_gpus=[("AMD Radeon RX 7900 XTX", "gfx1100")],
                                          dists=[("torch", "2.4.1+rocm6.1", [])]), ["gfx90a", "gfx942"])
    [f] = run_rule("ROCM002", inv)
    install = f.fixes[0].commands[0]
    assert "'torch==2.4.1+rocm6.1'" in install or "torch==2.4.1+rocm6.1" in install
    assert "--index-url https://download.pytorch.org/whl/rocm6.1" in install


def test_rocm002_silent_when_the_override_names_a_listed_target():
    """Same report as above (pkrasicki): with HSA_OVERRIDE_GFX_VERSION=10.3.0 the runtime loads gfx1030 code,
    which the wheel has: ROCM002 does not fire (ROCM004 reports the override)."""
    inv = with_torch_archs(make_inventory(amd_gpus=[("AMD Radeon RX 6700 XT", "gfx1031")],
                                          dists=[("torch", "2.5.1+rocm6.2", [])]), ROCM62_WHEEL_TARGETS)
    inv = dataclasses.replace(inv, amd=dataclasses.replace(inv.amd, override_gfx_target="gfx1030",
                                                           hsa_override_gfx_version="10.3.0"))
    assert run_rule("ROCM002", inv) == []


def test_rocm002_undecided_when_the_wheel_targets_are_unknown():
    """Same report (pkrasicki): torch 2.5.1+rocm6.2 on gfx1031, and nothing read the wheel's targets: the pytorch
    matrix has no gfx list for that build, so the check is undecided, not passed."""
    inv = make_inventory(amd_gpus=[("AMD Radeon RX 6700 XT", "gfx1031")], dists=[("torch", "2.5.1+rocm6.2", [])])
    out = outcome("ROCM002", inv)
    assert out.findings == []
    [u] = out.undecided
    assert "compiled gfx targets of torch 2.5.1+rocm6.2" in u.missing


# --- DRV002: fixes per package manager -----------------------------------------------------------


def test_drv002_on_ubuntu_reinstalls_and_holds_with_apt():
    """https://github.com/oddmario/NVIDIA-Ubuntu-Driver-Guide/issues/4

    Facts: Ubuntu 24.04 ("0ubuntu0.24.04.1"), nvidia-driver-550 550.107.02 installed, kernel
    module 550.90.07, "Failed to initialize NVML: Driver/library version mismatch"; the reporter
    suggests ``apt-mark hold``. GPU not stated.
    """
    inv = with_os(make_inventory(driver="550.90.07", libcuda="550.107.02", gpus=[UNSTATED_GPU],
                                 nvml_error="Driver/library version mismatch"), "ubuntu", ["debian"])
    [f] = run_rule("DRV002", inv)
    cmds = commands(f)
    assert "sudo systemctl reboot" in cmds
    reinstall = next(c for c in cmds if "apt-get install --reinstall" in c)
    assert "dpkg-query" in reinstall and "'*nvidia*'" in reinstall
    assert "sudo update-initramfs -u" in cmds
    assert any(c.startswith("sudo apt-mark hold ") for c in cmds)
    assert not any("dnf" in c for c in cmds)


def test_drv002_on_rhel_reinstalls_and_locks_with_dnf():
    """https://github.com/negativo17/nvidia-driver/issues/180

    Facts: RHEL 9.6 ("el9"), ``modinfo nvidia -F version`` 575.64, userspace packages
    575.64.03 (libnvidia-ml-575.64.03), "Driver/library version mismatch". GPU not stated.
    """
    inv = with_os(make_inventory(driver="575.64", libcuda="575.64.03", gpus=[UNSTATED_GPU],
                                 nvml_error="Driver/library version mismatch"), "rhel", ["fedora"])
    [f] = run_rule("DRV002", inv)
    cmds = commands(f)
    assert any(c.startswith("sudo dnf reinstall -y $(rpm -qa") for c in cmds)
    assert "sudo dracut -f" in cmds
    assert any(c.startswith("sudo dnf versionlock add ") for c in cmds)
    assert not any("apt" in c for c in cmds)


def test_drv002_unknown_distribution_keeps_reboot_and_reload_only():
    """Same report as the Ubuntu one, the distribution unknown: only the steps that hold everywhere."""
    inv = with_os(make_inventory(driver="550.90.07", libcuda="550.107.02", gpus=[UNSTATED_GPU]), None)
    [f] = run_rule("DRV002", inv)
    assert not any("apt" in c or "dnf" in c for c in commands(f))


# --- NET001..NET003: multi-node readiness ---------------------------------------------------------


def with_fabric(inv, **fields):
    return dataclasses.replace(inv, fabric=FabricInfo(**fields))


MLX = [RdmaDevice("mlx5_0", "infiniband", ["InfiniBand"], "mlx5_core"),
       RdmaDevice("mlx5_1", "infiniband", ["InfiniBand"], "mlx5_core")]
ROCE = [RdmaDevice("mlx5_0", "roce", ["Ethernet"], "mlx5_core")]
VERBS = [FoundLibrary("libibverbs.so.1", "/usr/lib/x86_64-linux-gnu/libibverbs.so.1", True)]


def test_net001_fires_without_peermem():
    """https://github.com/NVIDIA/nccl/issues/897

    Facts: two nodes with 8 GPUs and 3 NICs each (IB: "via NET/IB"); GDRDMA used on one node,
    not the other; the maintainer: "Perhaps the nv_peer_mem or nvidia-peermem module is not
    installed/loaded on the second node?", and the fix "modprobe nvidia-peermem". GPU model not
    stated (H100 stands in); 2 of the NICs stand for 3.
    """
    inv = with_fabric(make_inventory(driver="580.159.04", gpus=[H100] * 8), rdma_devices=MLX, peer_memory_loaded=False,
                      verbs_library=VERBS, nccl_net_plugins=[])
    [f] = run_rule("NET001", inv)
    assert f.severity == "warning" and "mlx5_0 (infiniband)" in f.message
    assert "sudo modprobe nvidia-peermem" in commands(f)


def test_net001_silent_with_peermem_loaded_and_undecided_when_unread():
    """https://github.com/NVIDIA/nccl/issues/1537: RoCE HCAs (mlx5_0, mlx5_1 "/RoCE") with nvidia_peermem
    loaded (``lsmod | grep peermem``): no finding. The same node with the module state unread: undecided."""
    base = make_inventory(driver="555.42.02", gpus=[H100])
    assert run_rule("NET001", with_fabric(base, rdma_devices=ROCE, peer_memory_loaded=True,
                                          peer_memory_module="nvidia_peermem")) == []
    out = outcome("NET001", with_fabric(base, rdma_devices=ROCE, peer_memory_loaded=None))
    assert out.findings == [] and out.undecided[0].missing == ["nvidia_peermem loaded"]


def test_net002_efa_without_ofi_plugin_on_the_loader_path():
    """https://github.com/aws/aws-ofi-nccl: NCCL reaches EFA only through this plugin. An EFA node whose
    plugin sits in /opt/amazon/ofi-nccl/lib, off the loader path, is told to add that folder."""
    plugin = FoundLibrary("libnccl-net-ofi.so", "/opt/amazon/ofi-nccl/lib/libnccl-net-ofi.so", False)
    inv = with_fabric(make_inventory(driver="580.159.04", gpus=[H100] * 8),
                      rdma_devices=[RdmaDevice("rdmap16s27", "efa", [], "efa")], peer_memory_loaded=True,
                      nccl_net_plugins=[plugin], verbs_library=VERBS)
    [f] = run_rule("NET002", inv)
    assert "no NCCL network plugin" in f.message
    assert commands(f) == ['export LD_LIBRARY_PATH="/opt/amazon/ofi-nccl/lib:$LD_LIBRARY_PATH"']


def test_net002_ib_without_verbs_library_and_its_undecided_case():
    """https://github.com/areal-project/AReaL/issues/639: on an IB/RoCE cluster NCCL logged "NET/Socket" instead
    of "NET/IB" (4-5x slower collectives). Without libibverbs.so.1 findable NCCL cannot use its IB transport."""
    base = with_os(make_inventory(driver="580.159.04", gpus=[H100] * 8), "ubuntu", ["debian"])
    [f] = run_rule("NET002", with_fabric(base, rdma_devices=ROCE, peer_memory_loaded=True, verbs_library=[],
                                         nccl_net_plugins=[]))
    assert "libibverbs.so.1 is not on the loader path" in f.message
    assert commands(f) == ["sudo apt-get install -y libibverbs1 ibverbs-providers"]
    assert run_rule("NET002", with_fabric(base, rdma_devices=ROCE, peer_memory_loaded=True, verbs_library=VERBS,
                                          nccl_net_plugins=[])) == []
    out = outcome("NET002", with_fabric(base, rdma_devices=ROCE, peer_memory_loaded=True, verbs_library=None))
    assert out.findings == [] and out.undecided


def test_net003_ib_disable_on_an_ib_node():
    """https://github.com/NVIDIA/nccl-tests/issues/188

    Facts: two nodes with mlx5 InfiniBand HCAs (ibping over mlx5_0 ... mlx5_8); with
    NCCL_IB_DISABLE=1 nccl-tests ran, slower than IB's 20 GB/s. GPUs not stated (H100 stands in).
    """
    inv = with_fabric(make_inventory(driver="580.159.04", gpus=[H100] * 8, env={"NCCL_IB_DISABLE": "1"}),
                      rdma_devices=MLX, peer_memory_loaded=True, verbs_library=VERBS, nccl_net_plugins=[])
    [f] = run_rule("NET003", inv)
    assert f.severity == "warning" and f.message.startswith("NCCL_IB_DISABLE=1 turns off the InfiniBand/RoCE transport")
    assert commands(f) == ["unset NCCL_IB_DISABLE"]


def test_net003_p2p_disable_and_net_socket():
    """https://github.com/NVIDIA/nccl/issues/676: on a DGX-A100 (8 GPUs, mlx5 RoCE/IB HCAs) the reporter forced
    NCCL_NET=Socket; with NCCL_P2P_DISABLE=1 too, both transports are reported."""
    inv = with_fabric(make_inventory(driver="580.159.04", gpus=[("NVIDIA A100-SXM4-80GB", "8.0")] * 8,
                                     env={"NCCL_NET": "Socket", "NCCL_P2P_DISABLE": "1"}),
                      rdma_devices=ROCE, peer_memory_loaded=True, verbs_library=VERBS, nccl_net_plugins=[])
    subjects = sorted(f.subject for f in run_rule("NET003", inv))
    assert subjects == ["NCCL_NET", "NCCL_P2P_DISABLE"]


def test_net003_silent_where_the_transport_is_absent_and_undecided_when_devices_unread():
    """Same report (nccl-tests#188) on a node without RDMA devices: NCCL_IB_DISABLE=1 turns nothing off. With the
    devices unread (an inventory from before the fabric probe), the check is undecided."""
    base = make_inventory(driver="580.159.04", gpus=[H100], env={"NCCL_IB_DISABLE": "1"})
    assert run_rule("NET003", with_fabric(base, rdma_devices=[], peer_memory_loaded=False)) == []
    out = outcome("NET003", base)
    assert out.findings == [] and out.undecided[0].missing == ["RDMA devices (/sys/class/infiniband)"]


# --- GEN004: inventories from Windows or macOS --------------------------------------------------------


def test_windows_inventory_runs_no_linux_check_and_says_so():
    """https://github.com/pytorch/pytorch/issues/112553 reports torch 2.1.0+cu121 on driver 470 (DRV001 fires on
    Linux). The same facts in an inventory from Windows: the Linux checks do not run; GEN004 names them."""
    inv = make_inventory(driver="470.182.03", cuda_driver="11.4", gpus=[UNSTATED_GPU], dists=[("torch", "2.1.0+cu121", [])])
    assert run_rule("DRV001", inv)
    windows = dataclasses.replace(inv, os=OsInfo(system="windows", sources={"system": "OS=Windows_NT"}))
    out = check_rules(RuleContext(windows, MatrixSet(), RuleOptions()))
    assert [f.rule_id for f in out.findings] == ["GEN004"] and out.undecided == []
    [g] = out.findings
    assert g.severity == "warning" and "from Windows" in g.message and "DRV001" in g.message


def test_gen004_silent_on_linux_and_on_inventories_without_a_system():
    """Older snapshots carry no os.system: every rule runs as before, GEN004 stays silent."""
    inv = make_inventory(driver="580.159.04", gpus=[H100])
    assert run_rule("GEN004", inv) == []
    assert run_rule("GEN004", with_os(inv, "ubuntu", ["debian"])) == []
    mac = dataclasses.replace(inv, os=OsInfo(system="darwin"))
    [g] = run_rule("GEN004", mac)
    assert "from macOS" in g.message


def test_gen004_undecided_when_nothing_identifies_the_system():
    """A live inventory with no os facts at all (no os-release, kernel, ELF or libc: what a Windows or macOS
    machine gave before the system probe named it): undecided, at info."""
    inv = dataclasses.replace(make_inventory(driver="580.159.04", gpus=[H100], mode="live"), os=OsInfo())
    out = outcome("GEN004", inv)
    assert out.findings == [] and out.undecided[0].severity == "info"
    assert out.undecided[0].missing == ["the operating system of the inventory"]


# --- ROCM005: ROCm user space outside the amdgpu driver's window -------------------------------------


def with_dkms(inv, package, version="6.2.4"):
    from accelctl.probes.amd.rocm import rocm_release_of_dkms

    return dataclasses.replace(inv, amd=dataclasses.replace(
        inv.amd, driver_kind="dkms", driver_version=version, driver_package=package,
        driver_rocm_release=rocm_release_of_dkms(package) if package else None))


def test_rocm005_inside_the_window_is_silent():
    """https://github.com/nktice/AMD-AI/issues/1

    Facts: dpkg.log "amdgpu-dkms:all 1:6.2.4.50700-1652687.22.04" (ROCm 5.7.0's driver) and
    "rocm-dkms:amd64 5.7.1.50701". AMD supports ROCm 5.7.1 with the 5.5.x-6.1.x drivers: no
    finding. GPU not stated (an RX 7900 XTX, gfx1100, stands in).
    """
    inv = with_dkms(make_inventory(amd_gpus=[("AMD Radeon RX 7900 XTX", "gfx1100")], rocm="5.7.1"),
                    "1:6.2.4.50700-1652687.22.04")
    assert outcome("ROCM005", inv).findings == [] and outcome("ROCM005", inv).undecided == []


def test_rocm005_fires_when_the_user_space_moves_past_the_window():
    """The same report's driver (amdgpu-dkms 1:6.2.4.50700, ROCm 5.7.0's) under a ROCm 6.2.0 user space, as after
    an upgrade with --no-dkms (no public report states both versions; the driver is the report's, the user space
    is the first release whose window, 6.0.x-6.3.x, leaves 5.7.x out)."""
    inv = with_dkms(make_inventory(amd_gpus=[("AMD Radeon RX 7900 XTX", "gfx1100")], rocm="6.2.0"),
                    "1:6.2.4.50700-1652687.22.04")
    [f] = run_rule("ROCM005", inv)
    assert f.severity == "warning" and "amdgpu-dkms is ROCm 5.7.0's" in f.message and "6.0.x" in f.message
    assert any("6.1.2" in s.title for s in f.fixes)  # the newest releases whose window includes 5.7.x


def test_rocm005_undecided_without_the_driver_package():
    """The mi300x-rocm6 fixture's facts (https://github.com/ROCm/ROCm/issues/4454: "[drm] amdgpu version: 6.10.5",
    ROCm 6.3.3) without dpkg's record: the module version alone does not name its ROCm release."""
    inv = with_dkms(make_inventory(amd_gpus=[("AMD Instinct MI300X", "gfx942")], rocm="6.3.3"), None, "6.10.5")
    out = outcome("ROCM005", inv)
    assert out.findings == [] and out.undecided[0].missing == ["ROCm release of the amdgpu-dkms driver"]


def test_dkms_package_version_names_its_rocm_release():
    from accelctl.probes.amd.rocm import rocm_release_of_dkms

    assert rocm_release_of_dkms("1:6.2.4.50700-1652687.22.04") == "5.7.0"
    assert rocm_release_of_dkms("1:6.10.5.60303-2109964.22.04") == "6.3.3"
    assert rocm_release_of_dkms("6.16.6-2255209.24.04") is None  # no release suffix: not guessed
