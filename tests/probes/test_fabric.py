"""The fabric probe: RDMA devices, the peer-memory module and NCCL's libraries, from a recorded machine."""

from __future__ import annotations

import json
import os

from accelctl.host.filesystem import FileSystemHost
from accelctl.host.fixture import FixtureHost
from accelctl.probes.base import ProbeContext, ProbeOptions
from accelctl.probes.fabric import device_kind, is_nccl_net_plugin, loader_dirs, probe


def test_device_kind_from_link_layer_and_driver():
    assert device_kind("mlx5_0", ["InfiniBand"], "mlx5_core") == "infiniband"
    assert device_kind("mlx5_2", ["Ethernet"], "mlx5_core") == "roce"
    assert device_kind("efa_0", [], None) == "efa"
    assert device_kind("rdmap16s27", ["Unspecified"], "efa") == "efa"
    assert device_kind("weird0", [], None) == "unknown"


def test_plugin_names_and_loader_dirs():
    assert is_nccl_net_plugin("libnccl-net.so") and is_nccl_net_plugin("libnccl-net-ofi.so")
    assert not is_nccl_net_plugin("libnccl.so.2")
    dirs = loader_dirs({"LD_LIBRARY_PATH": "/opt/x/lib::relative"})
    assert dirs[0] == "/opt/x/lib" and "relative" not in dirs and "/usr/lib64" in dirs


def _node(tmp_path, env):
    """A recorded node: two IB HCAs (link layers as an HGX node's sysfs shows them), peermem loaded, and the
    SHARP plugin where NGC images put it (off the loader path unless LD_LIBRARY_PATH names it)."""
    files = tmp_path / "files"
    for dev in ("mlx5_0", "mlx5_1"):
        port = files / "sys/class/infiniband" / dev / "ports/1"
        port.mkdir(parents=True)
        (port / "link_layer").write_text("InfiniBand\n")
        drivers = files / "sys/bus/pci/drivers/mlx5_core"
        drivers.mkdir(parents=True, exist_ok=True)
        device = files / "sys/class/infiniband" / dev / "device"
        device.mkdir()
        os.symlink("../../../../bus/pci/drivers/mlx5_core", device / "driver")
    (files / "sys/module/nvidia_peermem").mkdir(parents=True)
    plugin = files / "opt/hpcx/nccl_rdma_sharp_plugin/lib"
    plugin.mkdir(parents=True)
    (plugin / "libnccl-net.so").write_text("")
    (files / "usr/lib/x86_64-linux-gnu").mkdir(parents=True)
    (files / "usr/lib/x86_64-linux-gnu/libibverbs.so.1").write_text("")
    (tmp_path / "host.json").write_text(json.dumps({"label": "fixture ib", "can_run_commands": True}))
    (tmp_path / "env.json").write_text(json.dumps(env))
    return FixtureHost(str(tmp_path))


def test_probe_reads_devices_module_and_libraries(tmp_path):
    info = probe(ProbeContext(_node(tmp_path, {}), ProbeOptions(), "fabric"))
    assert [(d.name, d.kind, d.driver) for d in info.rdma_devices] == [("mlx5_0", "infiniband", "mlx5_core"),
                                                                       ("mlx5_1", "infiniband", "mlx5_core")]
    assert info.peer_memory_loaded is True and info.peer_memory_module == "nvidia_peermem"
    assert [(p.path, p.on_loader_path) for p in info.nccl_net_plugins] == [
        ("/opt/hpcx/nccl_rdma_sharp_plugin/lib/libnccl-net.so", False)]
    assert [v.on_loader_path for v in info.verbs_library] == [True]


def test_plugin_on_ld_library_path_is_findable(tmp_path):
    host = _node(tmp_path, {"LD_LIBRARY_PATH": "/opt/hpcx/nccl_rdma_sharp_plugin/lib"})
    info = probe(ProbeContext(host, ProbeOptions(), "fabric"))
    assert [p.on_loader_path for p in info.nccl_net_plugins] == [True]


def test_an_image_has_no_devices_to_read(tmp_path):
    ctx = ProbeContext(FileSystemHost(str(tmp_path)), ProbeOptions(), "fabric")
    info = probe(ctx)
    assert info.rdma_devices is None and info.peer_memory_loaded is None
    assert any(u.fact == "fabric.rdma_devices" for u in ctx.unknowns)
