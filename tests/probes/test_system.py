from __future__ import annotations

import pytest

from accelctl.host.filesystem import FileSystemHost
from accelctl.probes.base import ProbeContext, ProbeOptions
from accelctl.probes.system import parse_elf_machine, parse_glibc_version, parse_os_release, probe
from tests.conftest import UBUNTU_2204_LIBC, real_elf_header


def test_os_release_quotes_are_removed():
    parsed = parse_os_release('NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="24.04"\n# comment\nPRETTY_NAME=\'Ubuntu 24.04.3 LTS\'\n')
    assert parsed == {"NAME": "Ubuntu", "ID": "ubuntu", "VERSION_ID": "24.04", "PRETTY_NAME": "Ubuntu 24.04.3 LTS"}


@pytest.mark.parametrize("machine, arch", [(0x3E, "x86_64"), (0xB7, "aarch64"), (0x15, "ppc64le")])
def test_elf_machine(machine, arch):
    header = b"\x7fELF\x02\x01\x01" + b"\x00" * 11 + machine.to_bytes(2, "little") + b"\x00" * 44
    assert parse_elf_machine(header) == arch


def test_not_elf():
    assert parse_elf_machine(b"#!/bin/sh\n") is None


@pytest.mark.parametrize("blob, version", [
    (UBUNTU_2204_LIBC, "2.35"),
    # Fedora/RHEL style, and glibc 2.39 from the H100 node's Ubuntu 24.04
    (b"GNU C Library (GNU libc) stable release version 2.34.", "2.34"),
    (b"GNU C Library (Ubuntu GLIBC 2.39-0ubuntu8.9) stable release version 2.39.", "2.39"),
    (b"no version here", None),
])
def test_glibc_version(blob, version):
    assert parse_glibc_version(blob) == version


def test_probe_on_a_rootfs(ubuntu_rootfs):
    ctx = ProbeContext(FileSystemHost(str(ubuntu_rootfs)), ProbeOptions(), "system")
    info = probe(ctx)
    assert (info.distro_id, info.distro_version, info.libc, info.libc_version) == ("ubuntu", "22.04", "glibc", "2.35")
    assert info.arch == parse_elf_machine(real_elf_header())
    assert info.kernel is None  # a rootfs has no running kernel
    assert info.sources["libc"] == "version string in /lib/x86_64-linux-gnu/libc.so.6"
    assert ctx.unknowns == []


def test_probe_records_what_it_could_not_learn(tmp_path):
    (tmp_path / "r").mkdir()
    ctx = ProbeContext(FileSystemHost(str(tmp_path / "r")), ProbeOptions(), "system")
    info = probe(ctx)
    assert info.distro_id is None
    assert {u.fact for u in ctx.unknowns} == {"distro", "arch", "libc_version"}
