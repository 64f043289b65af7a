"""The system probe names the operating system, so rules can tell which checks apply."""

from __future__ import annotations

from accelctl.host.filesystem import FileSystemHost
from accelctl.probes.base import ProbeContext, ProbeOptions
from accelctl.probes.system import operating_system, probe


def test_operating_system_from_what_the_host_shows():
    assert operating_system(True, False, {"OS": "Windows_NT"}) == "linux"
    assert operating_system(False, True, {}) == "darwin"
    assert operating_system(False, False, {"OS": "Windows_NT"}) == "windows"
    assert operating_system(False, False, {}) is None


def test_os_release_gives_linux_and_id_like(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/os-release").write_text('ID=rocky\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n')
    info = probe(ProbeContext(FileSystemHost(str(tmp_path)), ProbeOptions(), "system"))
    assert info.system == "linux" and info.distro_like == ["rhel", "centos", "fedora"]


def test_a_macos_tree_is_darwin(tmp_path):
    plist = tmp_path / "System/Library/CoreServices"
    plist.mkdir(parents=True)
    (plist / "SystemVersion.plist").write_text("<plist><dict><key>ProductName</key><string>macOS</string></dict></plist>")
    info = probe(ProbeContext(FileSystemHost(str(tmp_path)), ProbeOptions(), "system"))
    assert info.system == "darwin" and info.distro_id is None
