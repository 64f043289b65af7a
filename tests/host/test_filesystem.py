"""A rootfs is read as that machine would see it, and nothing escapes it."""

from __future__ import annotations

import pytest

from accelctl.host.base import FileMissing, NotSupported
from accelctl.host.filesystem import FileSystemHost
from tests.conftest import make_tree


@pytest.fixture
def tree(tmp_path):
    make_tree(tmp_path / "outside", {"secret": "host file"})
    return make_tree(tmp_path / "root", {
        "usr/local/nvidia/lib64/libcuda.so.580.159.04": b"\x7fELF",
        "etc/motd": "inside",
        "usr/local/cuda-13.0/version.json": None,
    }, links={
        "usr/local/nvidia/lib64/libcuda.so.1": "libcuda.so.580.159.04",
        "usr/local/cuda": "/usr/local/cuda-13.0",
        "etc/escape": "/../../outside/secret",
        "etc/abs-motd": "/etc/motd",
        "loop": "loop",
    })


def test_absolute_links_resolve_inside_the_root(tree):
    host = FileSystemHost(str(tree))
    assert host.read_text("/etc/abs-motd") == "inside"
    assert host.realpath("/usr/local/nvidia/lib64/libcuda.so.1") == "/usr/local/nvidia/lib64/libcuda.so.580.159.04"
    assert host.readlink("/usr/local/nvidia/lib64/libcuda.so.1") == "libcuda.so.580.159.04"


def test_links_cannot_escape_the_root(tree):
    host = FileSystemHost(str(tree))
    with pytest.raises(FileMissing):
        host.read_text("/etc/escape")
    with pytest.raises(FileMissing):
        host.read_text("/../outside/secret")


def test_a_link_loop_is_an_error_not_a_hang(tree):
    host = FileSystemHost(str(tree))
    assert host.exists("/loop") is False


def test_listing_reports_links_and_dirs(tree):
    host = FileSystemHost(str(tree))
    names = {e.name: e for e in host.list_dir("/usr/local/nvidia/lib64")}
    assert names["libcuda.so.1"].is_symlink and not names["libcuda.so.1"].is_dir
    assert not names["libcuda.so.580.159.04"].is_symlink


def test_listing_with_a_name_filter_keeps_only_matching_names(tree):
    host = FileSystemHost(str(tree))
    every = [e.name for e in host.list_dir("/usr/local/nvidia/lib64")]
    kept = host.list_dir("/usr/local/nvidia/lib64", lambda n: n.count(".") > 3)
    assert "libcuda.so.1" in every
    assert [(e.name, e.is_symlink) for e in kept] == [("libcuda.so.580.159.04", False)]


def test_a_rootfs_runs_no_commands_and_no_nvml(tree):
    host = FileSystemHost(str(tree))
    with pytest.raises(NotSupported):
        host.run(["nvidia-smi"])
    with pytest.raises(NotSupported):
        host.nvml("nvmlSystemGetDriverVersion")
    assert host.access("/etc/motd") is None  # unknowable for another machine's users


def test_reads_return_exactly_what_the_file_holds(tmp_path):
    big = bytes(range(256)) * 400  # 100 KiB
    root = make_tree(tmp_path / "r", {"big.bin": big, "empty": b"", "small": b"abc"})
    host = FileSystemHost(str(root))
    assert host.read_bytes("/big.bin") == big
    assert host.read_bytes("/big.bin", 1000) == big[:1000]
    assert host.read_at("/big.bin", 99_000, 5_000) == big[99_000:]
    assert host.read_at("/big.bin", 200_000, 10) == b""
    assert host.read_bytes("/empty") == b"" and host.read_text("/small", 2) == "ab"


def test_files_without_a_size_are_read_to_their_end(tmp_path):
    """procfs and sysfs files say size 0 (or 4096) whatever they hold."""
    host = FileSystemHost("/")
    status = host.read_text("/proc/self/status")
    assert status.startswith("Name:") and "VmRSS" in status
    assert host.read_at("/proc/self/status", 5, 3) == status[5:8].encode()


def test_a_directory_or_a_fifo_is_an_error_not_a_hang(tmp_path):
    import os

    from accelctl.host.base import HostError

    root = make_tree(tmp_path / "r", {"dir/file": "x"})
    os.mkfifo(root / "fifo")
    host = FileSystemHost(str(root))
    with pytest.raises(HostError):
        host.read_bytes("/dir")
    with pytest.raises(HostError, match="not a regular file"):  # refused, without waiting for a writer
        host.read_bytes("/fifo")


def test_a_device_is_refused_not_read(tmp_path):
    from accelctl.host.base import HostError

    host = FileSystemHost("/")
    with pytest.raises(HostError, match="not a regular file"):
        host.read_bytes("/dev/zero")
    with pytest.raises(HostError, match="not a regular file"):
        host.read_at("/dev/urandom", 0, 16)
