"""RDMA devices, the GPUDirect RDMA module and NCCL's network libraries, read from sysfs and files.

NCCL leaves the node through its own verbs transport (InfiniBand, RoCE: needs
``libibverbs.so.1``) or a network plugin it dlopens by name (``libnccl-net.so``, or
``libnccl-net-<NCCL_NET_PLUGIN>.so``; AWS EFA needs aws-ofi-nccl's). GPUDirect RDMA needs
the peer-memory module (``nvidia_peermem``, formerly ``nv_peer_mem``) loaded. NCCL
documents both: https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html
(NCCL_NET_PLUGIN, NCCL_NET_GDR_LEVEL).
"""

from __future__ import annotations

from collections.abc import Callable

from accelctl.host.base import HostError
from accelctl.inventory.fabric import FabricInfo, FoundLibrary, RdmaDevice
from accelctl.probes.base import ProbeContext

IB_CLASS = "/sys/class/infiniband"
PEER_MEMORY_MODULES = ("nvidia_peermem", "nv_peer_mem")
LD_CACHE = "/etc/ld.so.cache"
VERBS = "libibverbs.so.1"
# ld.so's default folders (after LD_LIBRARY_PATH and the cache).
DEFAULT_DIRS = ("/lib", "/usr/lib", "/lib64", "/usr/lib64", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu")
# Where the plugins install themselves off the loader path: aws-ofi-nccl (EFA installer, older builds), HPC-X's
# SHARP plugin (NGC images), so a plugin present but not findable can be named.
PLUGIN_HOMES = ("/opt/amazon/ofi-nccl/lib", "/opt/amazon/ofi-nccl/lib64", "/opt/aws-ofi-nccl/lib",
                "/opt/hpcx/nccl_rdma_sharp_plugin/lib", "/usr/local/lib")


def device_kind(name: str, link_layers: list[str], driver: str | None) -> str:
    """infiniband, roce, efa or unknown, from the device name, its ports' link layer and driver."""
    if driver == "efa" or name.startswith("efa"):
        return "efa"
    layers = {layer.strip().lower() for layer in link_layers}
    if "infiniband" in layers:
        return "infiniband"
    if "ethernet" in layers:
        return "roce"  # an RDMA device over Ethernet: RoCE (NCCL's IB transport drives it the same way)
    return "unknown"


def is_nccl_net_plugin(file_name: str) -> bool:
    """libnccl-net.so and libnccl-net-<name>.so (with or without a version suffix)."""
    return file_name.startswith("libnccl-net") and ".so" in file_name


def loader_dirs(env: dict[str, str]) -> list[str]:
    """The folders ld.so searches by name, in order: LD_LIBRARY_PATH, then the defaults (the cache is apart)."""
    listed = [d for d in env.get("LD_LIBRARY_PATH", "").split(":") if d.startswith("/")]
    return list(dict.fromkeys([*listed, *DEFAULT_DIRS]))


def _devices(ctx: ProbeContext) -> list[RdmaDevice]:
    host = ctx.host
    try:
        names = [e.name for e in host.list_dir(IB_CLASS)]
    except HostError:
        return []  # the class appears once ib_core is loaded: none here
    devices = []
    for name in names[:64]:
        layers = []
        try:
            ports = [e.name for e in host.list_dir(f"{IB_CLASS}/{name}/ports")]
        except HostError:
            ports = []
        for port in ports[:8]:
            try:
                layers.append(host.read_text(f"{IB_CLASS}/{name}/ports/{port}/link_layer", 256).strip())
            except HostError:
                continue
        link = host.readlink(f"{IB_CLASS}/{name}/device/driver")
        driver = link.rstrip("/").rsplit("/", 1)[-1] if link else None
        devices.append(RdmaDevice(name, device_kind(name, layers, driver), layers, driver))
    return devices


def _libraries(ctx: ProbeContext, match: Callable[[str], bool], homes: tuple[str, ...]) -> list[FoundLibrary]:
    host = ctx.host
    found: dict[str, FoundLibrary] = {}
    on_path = loader_dirs(dict(host.env))
    try:
        from accelctl.probes.nvidia.ldcache import CacheFormatError, parse_ld_cache

        for entry in parse_ld_cache(host.read_bytes(LD_CACHE, 32 << 20)):
            if match(entry.soname):
                found.setdefault(entry.path, FoundLibrary(entry.soname, entry.path, True))
    except (HostError, CacheFormatError):
        pass  # the folders below still answer
    for folder in [*on_path, *homes]:
        try:
            entries = host.list_dir(folder, match)
        except HostError:
            continue
        for e in entries:
            path = f"{folder}/{e.name}"
            found.setdefault(path, FoundLibrary(e.name, path, folder in on_path))
    return sorted(found.values(), key=lambda f: (not f.on_loader_path, f.path))


def probe(ctx: ProbeContext) -> FabricInfo:
    host = ctx.host
    if not host.can_run_commands:  # an image has no devices or loaded modules
        ctx.unknown("fabric.rdma_devices", "an unpacked image has no devices; check on the node")
        return FabricInfo(nccl_net_plugins=_libraries(ctx, is_nccl_net_plugin, PLUGIN_HOMES),
                          verbs_library=_libraries(ctx, lambda n: n == VERBS, ()),
                          sources={"libraries": "ld.so.cache, LD_LIBRARY_PATH, default folders"})
    loaded = [m for m in PEER_MEMORY_MODULES if host.exists(f"/sys/module/{m}")]
    devices = _devices(ctx)
    # the libraries matter only to drive RDMA devices: without any, the ld.so.cache is not read again
    return FabricInfo(
        rdma_devices=devices,
        peer_memory_module=loaded[0] if loaded else None,
        peer_memory_loaded=bool(loaded),
        nccl_net_plugins=_libraries(ctx, is_nccl_net_plugin, PLUGIN_HOMES) if devices else None,
        verbs_library=_libraries(ctx, lambda n: n == VERBS, ()) if devices else None,
        sources={"rdma_devices": IB_CLASS, "peer_memory": "/sys/module",
                 "libraries": "ld.so.cache, LD_LIBRARY_PATH, default folders"},
    )
