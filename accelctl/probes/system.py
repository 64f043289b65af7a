"""OS distribution, kernel, CPU architecture and C library, read from files only.

Files rather than commands so the same probe works on an unpacked image: the
architecture comes from an ELF header, glibc's version from libc itself.
"""

from __future__ import annotations

import re
import struct

from accelctl.host.base import HostError
from accelctl.inventory.system import OsInfo
from accelctl.probes.base import ProbeContext

_ELF_MACHINES = {0x3E: "x86_64", 0xB7: "aarch64", 0x15: "ppc64le", 0x16: "s390x", 0xF3: "riscv64", 0x03: "i686"}
_ELF_PROBES = ("/bin/sh", "/usr/bin/env", "/bin/ls", "/usr/bin/python3")
_LIBC_PATHS = (
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "/lib/aarch64-linux-gnu/libc.so.6",
    "/usr/lib/aarch64-linux-gnu/libc.so.6",
    "/lib64/libc.so.6",
    "/usr/lib64/libc.so.6",
    "/lib/libc.so.6",
    "/usr/lib/libc.so.6",
)
_MACOS_VERSION = "/System/Library/CoreServices/SystemVersion.plist"
_GLIBC_RE = re.compile(rb"GNU C Library [^\n\x00]*?(?:release )?version (\d+\.\d+)")


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines of os-release(5), with shell quoting removed."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip()] = value.replace('\\"', '"')
    return out


def parse_elf_machine(header: bytes) -> str | None:
    """CPU architecture from an ELF header's e_machine field."""
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    endian = "<" if header[5] == 1 else ">"
    (machine,) = struct.unpack(endian + "H", header[18:20])
    return _ELF_MACHINES.get(machine, f"elf-machine-{machine:#x}")


def parse_glibc_version(blob: bytes) -> str | None:
    m = _GLIBC_RE.search(blob)
    return m.group(1).decode() if m else None


def _arch(ctx: ProbeContext) -> tuple[str | None, str]:
    for path in _ELF_PROBES:
        try:
            arch = parse_elf_machine(ctx.host.read_bytes(path, 64))
        except HostError:
            continue
        if arch:
            return arch, f"ELF header of {path}"
    return None, ""


def _libc(ctx: ProbeContext) -> tuple[str | None, str | None, str]:
    for path in _LIBC_PATHS:
        if not ctx.host.is_file(path):
            continue
        try:
            version = parse_glibc_version(ctx.host.read_bytes(path, 8 << 20))
        except HostError as exc:
            ctx.unknown("libc_version", str(exc))
            return "glibc", None, path
        if version:
            return "glibc", version, f"version string in {path}"
    for folder in ("/lib", "/usr/lib"):
        try:
            names = [e.name for e in ctx.host.list_dir(folder)]
        except HostError:
            continue
        musl = [n for n in names if n.startswith("ld-musl-")]
        if musl:
            return "musl", None, f"{folder}/{musl[0]}"
    return None, None, ""


def operating_system(has_linux_facts: bool, macos_version_file: bool, env: dict[str, str]) -> str | None:
    """linux, darwin or windows, from what the host shows; None when nothing tells.

    Linux shows itself by os-release, the kernel's osrelease or its ELF executables; macOS by
    SystemVersion.plist; Windows by the ``OS=Windows_NT`` variable every Windows process inherits.
    """
    if has_linux_facts:
        return "linux"
    if macos_version_file:
        return "darwin"
    if env.get("OS") == "Windows_NT":
        return "windows"
    return None


def probe(ctx: ProbeContext) -> OsInfo:
    host = ctx.host
    sources: dict[str, str] = {}
    release: dict[str, str] = {}
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            release = parse_os_release(host.read_text(path, 64 << 10))
            sources["distro"] = path
            break
        except HostError:
            continue
    if not release:
        ctx.unknown("distro", "no /etc/os-release or /usr/lib/os-release")

    kernel = None
    if host.can_run_commands:  # a running machine has a kernel; an image does not
        try:
            kernel = host.read_text("/proc/sys/kernel/osrelease", 256).strip() or None
            sources["kernel"] = "/proc/sys/kernel/osrelease"
        except HostError as exc:
            ctx.unknown("kernel", str(exc))

    arch, arch_source = _arch(ctx)
    if arch:
        sources["arch"] = arch_source
    else:
        ctx.unknown("arch", "no readable ELF executable in the standard places")

    libc, libc_version, libc_source = _libc(ctx)
    if libc_source:
        sources["libc"] = libc_source
    if libc is None:
        ctx.unknown("libc_version", "no glibc or musl found in the standard library folders")

    linux = bool(release or kernel or arch or libc)
    system = operating_system(linux, not linux and host.exists(_MACOS_VERSION), dict(host.env) if host.can_run_commands else {})
    if system:
        sources["system"] = {"linux": "os-release, kernel or ELF executables", "darwin": _MACOS_VERSION,
                             "windows": "OS=Windows_NT"}[system]
    return OsInfo(
        distro_id=release.get("ID"),
        distro_like=release.get("ID_LIKE", "").split(),
        distro_version=release.get("VERSION_ID"),
        pretty_name=release.get("PRETTY_NAME"),
        kernel=kernel,
        arch=arch,
        libc=libc,
        libc_version=libc_version,
        sources=sources,
        system=system,
    )
