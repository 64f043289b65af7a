"""The node's multi-node fabric: RDMA devices, GPUDirect RDMA and NCCL's network plugins.

What NCCL needs to leave the node fast: an RDMA device (InfiniBand, RoCE, AWS EFA), the
verbs library or network plugin that drives it, and GPUDirect RDMA so the NIC reads GPU
memory directly. ``None`` in a field means it was not read (an image has no devices).
"""

from __future__ import annotations

from dataclasses import field

from accelctl.record import record


@record
class RdmaDevice:
    """One device under /sys/class/infiniband."""

    name: str  # mlx5_0, efa_0, rxe0
    kind: str  # infiniband | roce | efa | unknown
    link_layers: list[str] = field(default_factory=list)  # per port, as sysfs says: InfiniBand, Ethernet
    driver: str | None = None  # the PCI driver bound to it: mlx5_core, efa


@record
class FoundLibrary:
    """A library NCCL would dlopen, where it was found, and whether the loader would find it there."""

    name: str  # libnccl-net.so, libnccl-net-ofi.so, libibverbs.so.1
    path: str
    on_loader_path: bool  # in LD_LIBRARY_PATH, the ld.so.cache or a default folder


@record
class FabricInfo:
    rdma_devices: list[RdmaDevice] | None = None  # None: not read
    peer_memory_module: str | None = None  # nvidia_peermem or nv_peer_mem, when loaded
    peer_memory_loaded: bool | None = None  # None: not read
    nccl_net_plugins: list[FoundLibrary] | None = None  # libnccl-net*.so found (None: not looked for)
    verbs_library: list[FoundLibrary] | None = None  # libibverbs.so.1 found (None: not looked for)
    sources: dict[str, str] = field(default_factory=dict)  # fact -> where it was read
