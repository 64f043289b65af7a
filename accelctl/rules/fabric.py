"""Multi-GPU and multi-node readiness: where NCCL would fall back to a slow path or fail.

NVLink/NVSwitch with the fabric manager is DRV004; these rules cover what leaves the GPU:
GPUDirect RDMA, the network transport NCCL needs for the node's RDMA devices, and NCCL
variables that switch transports off.
"""

from __future__ import annotations

from collections.abc import Iterator

from accelctl.findings import Evidence, FixStep
from accelctl.inventory import Inventory
from accelctl.inventory.fabric import RdmaDevice
from accelctl.rules.base import CannotDecide, Hit, RuleContext, rule

NCCL_ENV_DOCS = "https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html"
ON_THE_NODE = "run the doctor on the node itself (not on an image): it reads /sys/class/infiniband and /sys/module"


def _nvidia_gpus(inv: Inventory) -> int:
    return len(inv.nvidia.gpus)


def _verbs_devices(devices: list[RdmaDevice]) -> list[RdmaDevice]:
    """Devices NCCL's own IB transport drives (InfiniBand and RoCE)."""
    return [d for d in devices if d.kind in ("infiniband", "roce")]


def _names(devices: list[RdmaDevice]) -> str:
    return ", ".join(f"{d.name} ({d.kind})" for d in devices)


@rule("NET001", "gpudirect-rdma-module-not-loaded", "warning",
      decides_on=("RDMA devices (/sys/class/infiniband)", "nvidia_peermem loaded (/sys/module)"))
def gpudirect_rdma_module_not_loaded(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """InfiniBand/RoCE devices are present but the GPUDirect RDMA module (nvidia_peermem) is not loaded.

    With GPUDirect RDMA the NIC reads and writes GPU memory directly. Without
    the peer-memory module NCCL logs ``NET/IB : GPU Direct RDMA Disabled for HCA``
    and stages every transfer through host memory: multi-node collectives still
    run, several times slower. The driver ships the module since CUDA 11.4 but
    does not load it. A NCCL that uses DMA-BUF instead (``NCCL_DMABUF_ENABLE``,
    with the open kernel modules on a recent kernel) does not need it: check the
    NCCL INFO log before acting.

    How to fix: load the module now (``modprobe nvidia-peermem``) and at every
    boot (a modules-load.d entry). It must be built against the installed
    InfiniBand stack (MLNX_OFED/DOCA-OFED or the inbox one): install the NIC
    stack before the GPU driver, or reinstall the driver after it.

    References: NVIDIA GPUDirect RDMA documentation,
    https://docs.nvidia.com/cuda/gpudirect-rdma/; NCCL environment variables
    (NCCL_NET_GDR_LEVEL, NCCL_DMABUF_ENABLE), https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html;
    the module in the driver since CUDA 11.4: https://github.com/openucx/ucx/pull/7072; reports:
    https://github.com/NVIDIA/nccl/issues/897, https://github.com/NVIDIA/nccl/issues/1343
    """
    inv = ctx.inventory
    fabric = inv.fabric
    if not _nvidia_gpus(inv) or fabric.rdma_devices is None:
        return
    verbs = _verbs_devices(fabric.rdma_devices)
    if not verbs:
        return
    if fabric.peer_memory_loaded is None:
        yield CannotDecide(f"This node has {_names(verbs)}, but whether nvidia_peermem is loaded is unknown, so whether "
                           "GPUDirect RDMA can work cannot be decided.", missing=["nvidia_peermem loaded"],
                           settle=[ON_THE_NODE, "lsmod | grep peermem"], subject="GPUDirect RDMA")
        return
    if fabric.peer_memory_loaded:
        return
    yield Hit(f"{_names(verbs)} present, NVIDIA GPUs present, but neither nvidia_peermem nor nv_peer_mem is loaded: "
              "NCCL disables GPUDirect RDMA and copies through host memory.",
              subject="GPUDirect RDMA",
              evidence=[Evidence("RDMA devices", _names(verbs), fabric.sources.get("rdma_devices", "/sys/class/infiniband")),
                        Evidence("peer-memory module", "not loaded", "/sys/module/nvidia_peermem")],
              fixes=[FixStep("Load the GPUDirect RDMA module now and at every boot",
                             commands=["sudo modprobe nvidia-peermem",
                                       "echo nvidia-peermem | sudo tee /etc/modules-load.d/nvidia-peermem.conf"],
                             why="the driver installs nvidia-peermem but does not load it",
                             risks=["needs-root"], verify="lsmod | grep nvidia_peermem")])


@rule("NET002", "rdma-without-nccl-transport", "warning",
      decides_on=("RDMA devices (/sys/class/infiniband)", "libibverbs.so.1 and libnccl-net*.so on the loader path"))
def rdma_without_nccl_transport(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """The node has RDMA devices but NCCL cannot load what drives them: it will use TCP sockets.

    NCCL drives InfiniBand and RoCE itself through ``libibverbs.so.1``; AWS EFA
    only through a network plugin it loads by name (``libnccl-net.so``, or
    ``libnccl-net-<NCCL_NET_PLUGIN>.so``: aws-ofi-nccl). When the library is not
    where the loader looks, NCCL logs ``NET/Socket`` and multi-node jobs run at
    a fraction of the fabric's bandwidth (or time out on large jobs).

    How to fix: install the verbs library (rdma-core: ``libibverbs1`` on
    Debian/Ubuntu, ``libibverbs`` on RHEL/Fedora), or for EFA install
    aws-ofi-nccl (the EFA installer, or the plugin shipped in AWS's images) and
    put its folder on ``LD_LIBRARY_PATH``.

    References: NCCL environment variables (NCCL_NET, NCCL_NET_PLUGIN),
    https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html; aws-ofi-nccl,
    https://github.com/aws/aws-ofi-nccl; report: https://github.com/areal-project/AReaL/issues/639
    """
    inv = ctx.inventory
    fabric = inv.fabric
    if not _nvidia_gpus(inv) or not fabric.rdma_devices:
        return
    verbs = _verbs_devices(fabric.rdma_devices)
    efa = [d for d in fabric.rdma_devices if d.kind == "efa"]
    if verbs:
        if fabric.verbs_library is None:
            yield CannotDecide(f"This node has {_names(verbs)}, but whether libibverbs.so.1 is findable was not read.",
                               missing=["libibverbs.so.1 on the loader path"], settle=[ON_THE_NODE],
                               subject="NCCL InfiniBand transport")
        elif not any(f.on_loader_path for f in fabric.verbs_library):
            yield Hit(f"{_names(verbs)} present, but libibverbs.so.1 is not on the loader path: NCCL cannot use "
                      "its InfiniBand/RoCE transport and falls back to TCP sockets.",
                      subject="NCCL InfiniBand transport",
                      evidence=[Evidence("RDMA devices", _names(verbs), "/sys/class/infiniband"),
                                Evidence("libibverbs.so.1", "not found", "ld.so.cache, LD_LIBRARY_PATH, default folders")],
                      fixes=_verbs_fixes(inv))
    if efa:
        plugins = fabric.nccl_net_plugins
        if plugins is None:
            yield CannotDecide(f"This node has {_names(efa)}, but whether a NCCL network plugin is findable was not read.",
                               missing=["libnccl-net*.so on the loader path"], settle=[ON_THE_NODE],
                               subject="NCCL EFA transport")
        elif not any(f.on_loader_path for f in plugins):
            off = sorted({f.path.rsplit("/", 1)[0] for f in plugins})
            fixes = [FixStep("Put the plugin's folder on the loader path",
                             commands=[f'export LD_LIBRARY_PATH="{off[0]}:$LD_LIBRARY_PATH"'],
                             why=f"the plugin is installed in {off[0]}, where the loader does not look",
                             risks=["changes-environment"], verify="NCCL_DEBUG=INFO shows 'NET/OFI'")] if off else [
                FixStep("Install aws-ofi-nccl (the EFA installer or AWS's deep learning images ship it)",
                        why="NCCL reaches EFA only through this plugin", risks=["needs-root", "downloads"],
                        verify="NCCL_DEBUG=INFO shows 'NET/OFI'")]
            yield Hit(f"{_names(efa)} present, but no NCCL network plugin (libnccl-net*.so) is on the loader path"
                      + (f" (found off it: {', '.join(f.path for f in plugins)})" if plugins else "")
                      + ": NCCL will use TCP sockets over EFA's host interface.",
                      subject="NCCL EFA transport",
                      evidence=[Evidence("EFA devices", _names(efa), "/sys/class/infiniband"),
                                Evidence("NCCL network plugins", ", ".join(f.path for f in plugins) or "none",
                                         "ld.so.cache, LD_LIBRARY_PATH, default folders, plugin folders")],
                      fixes=fixes)


def _verbs_fixes(inv: Inventory) -> list[FixStep]:
    family = {inv.os.distro_id or "", *inv.os.distro_like}
    if family & {"debian", "ubuntu"}:
        return [FixStep("Install the verbs library", commands=["sudo apt-get install -y libibverbs1 ibverbs-providers"],
                        risks=["needs-root", "downloads"], verify="ldconfig -p | grep libibverbs.so.1")]
    if family & {"rhel", "fedora", "centos", "rocky", "almalinux", "amzn", "ol"}:
        return [FixStep("Install the verbs library", commands=["sudo dnf install -y libibverbs"],
                        risks=["needs-root", "downloads"], verify="ldconfig -p | grep libibverbs.so.1")]
    return [FixStep("Install rdma-core's verbs library (libibverbs.so.1) with the system's package manager",
                    risks=["needs-root", "downloads"], verify="ldconfig -p | grep libibverbs.so.1")]


# NCCL variables that switch a transport off, and the value that does it (NCCL reads them as set here).
_DISABLING = {
    "NCCL_P2P_DISABLE": "GPU-to-GPU peer access (NVLink/PCIe P2P): intra-node traffic goes through host memory",
    "NCCL_SHM_DISABLE": "the shared-memory transport: intra-node traffic without P2P goes through the network",
    "NCCL_IB_DISABLE": "the InfiniBand/RoCE transport: inter-node traffic goes over TCP sockets",
}


def _disabled(env: dict[str, str], name: str) -> bool:
    return env.get(name, "").strip() not in ("", "0")


@rule("NET003", "nccl-env-disables-transport", "warning",
      decides_on=("NCCL_* variables", "number of NVIDIA GPUs", "RDMA devices (/sys/class/infiniband)"))
def nccl_env_disables_transport(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """An NCCL variable switches off a transport this node has: NCCL falls back to a slower path.

    ``NCCL_P2P_DISABLE=1``, ``NCCL_P2P_LEVEL=LOC``, ``NCCL_SHM_DISABLE=1``,
    ``NCCL_IB_DISABLE=1`` and ``NCCL_NET=Socket`` are debugging switches: NCCL's
    documentation asks that they not stay in scripts or images, since they cost
    bandwidth and can cause hangs. Left in a job's environment (often copied
    from a workaround for another machine), they make NVLink, shared memory or
    InfiniBand go unused, and jobs run several times slower.

    How to fix: unset the variable (and remove it from the job script, image
    ``ENV`` or ``/etc/nccl.conf``), then check ``NCCL_DEBUG=INFO``: the channels
    should say ``via P2P`` within the node and ``via NET/IB`` (or the plugin)
    between nodes.

    References: NCCL environment variables (the "Debugging" section),
    https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html;
    reports: https://github.com/NVIDIA/nccl-tests/issues/188, https://github.com/NVIDIA/nccl/issues/676
    """
    inv = ctx.inventory
    env = inv.env
    if not any(k.startswith("NCCL_") for k in env) or not _nvidia_gpus(inv):
        return
    gpus = _nvidia_gpus(inv)
    found: list[tuple[str, str]] = []  # (variable=value, what it turns off)
    if gpus >= 2:
        for name in ("NCCL_P2P_DISABLE", "NCCL_SHM_DISABLE"):
            if _disabled(env, name):
                found.append((f"{name}={env[name]}", _DISABLING[name]))
        if env.get("NCCL_P2P_LEVEL", "").strip().upper() in ("LOC", "0"):
            found.append((f"NCCL_P2P_LEVEL={env['NCCL_P2P_LEVEL']}", _DISABLING["NCCL_P2P_DISABLE"]))
    net_off = _disabled(env, "NCCL_IB_DISABLE")
    socket = env.get("NCCL_NET", "").strip().lower() == "socket"
    if net_off or socket:
        devices = inv.fabric.rdma_devices
        if devices is None:
            if inv.mode != "rootfs":
                set_here = ", ".join(f"{n}={env[n]}" for n in ("NCCL_IB_DISABLE", "NCCL_NET") if n in env)
                yield CannotDecide(f"{set_here} is set, but whether this node has RDMA devices is unknown, so whether it "
                                   "turns off a fabric the node has cannot be decided.",
                                   missing=["RDMA devices (/sys/class/infiniband)"], settle=[ON_THE_NODE],
                                   subject="NCCL network transport")
        else:
            verbs = _verbs_devices(devices)
            if net_off and verbs:
                found.append((f"NCCL_IB_DISABLE={env['NCCL_IB_DISABLE']}", _DISABLING["NCCL_IB_DISABLE"]
                              + f" although {_names(verbs)} exist"))
            if socket and devices:
                what = f"every network transport but TCP sockets, although {_names(devices)} exist"
                found.append((f"NCCL_NET={env['NCCL_NET']}", what))
    for setting, what in found:
        name = setting.split("=", 1)[0]
        yield Hit(f"{setting} turns off {what}.", subject=name,
                  evidence=[Evidence(name, env[name], "environment"),
                            Evidence("NVIDIA GPUs", str(gpus), "NVML")],
                  fixes=[FixStep(f"Unset {name} (and remove it from the job script, image ENV or /etc/nccl.conf)",
                                 commands=[f"unset {name}"], why="NCCL documents it as a debugging switch",
                                 risks=["changes-environment"],
                                 verify="NCCL_DEBUG=INFO shows 'via P2P' / 'via NET/IB'")])
