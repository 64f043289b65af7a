"""Installed distributions from *.dist-info / *.egg-info metadata: one pass, no imports.

Only the metadata headers are parsed (they end at the first blank line), so a
site-packages of hundreds of distributions is read without parsing any long description.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from typing import Any

from accelctl.host.base import Host, HostError
from accelctl.inventory.python_env import Distribution

_HEADER_LIMIT = 256 << 10
_HEADER_FIRST_READ = 16 << 10  # headers of real METADATA files end well inside this; the body (a README) is skipped


def read_metadata_headers_text(host: Host, path: str) -> str:
    """The header block of a METADATA / PKG-INFO file as text, without reading or decoding its body.

    Descriptions run to hundreds of kilobytes; only the headers (up to the first
    blank line) carry what accelctl needs. A file whose headers do not end in
    the first read is read again up to the full header limit.
    """
    data = host.read_bytes(path, _HEADER_FIRST_READ)
    end = _header_end(data)
    if end < 0 and len(data) >= _HEADER_FIRST_READ:
        data = host.read_bytes(path, _HEADER_LIMIT)
        end = _header_end(data)
    return (data[:end] if end >= 0 else data).decode("utf-8", errors="replace")


def _header_end(data: bytes) -> int:
    end = data.find(b"\n\n")
    crlf = data.find(b"\r\n\r\n")
    if crlf >= 0 and (end < 0 or crlf < end):
        return crlf
    return end


_HEADER_LINE = re.compile(r"^([^:\n]*):([^\n]*)$", re.MULTILINE)
# Characters beyond ASCII that str.splitlines() also breaks lines at (and the general reader with it).
_WIDE_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")


def _unfolded(block: str) -> bool:
    """Whether every header of ``block`` is one plain line, so splitting at newlines gives the general reader's lines."""
    if "\r" in block or "\n " in block or "\n\t" in block or block[:1] in (" ", "\t"):
        return False
    if "\x0b" in block or "\x0c" in block or "\x1c" in block or "\x1d" in block or "\x1e" in block:
        return False
    return block.isascii() or not _WIDE_LINE_BREAKS.search(block)


def _header_block(text: str) -> str:
    """The headers of a METADATA text: up to the first blank line (the body, often a README, is never split)."""
    end = text.find("\n\n")
    if end < 0:
        end = text.find("\r\n\r\n")
    return text[:end] if end >= 0 else text


def _split_unfolded(block: str, line: Any, keep: tuple[str, ...] | None) -> dict[str, list[str]]:
    """Headers of ``block`` through one regular expression (nearly every wheel's METADATA), else the
    general reader; ``keep`` limits them to some names."""
    if not _unfolded(block):
        headers = _parse_folded_headers(block)
        return headers if keep is None else {k: v for k, v in headers.items() if k in keep}
    out: dict[str, list[str]] = {}
    for key, value in line.findall(block):
        out.setdefault(key.strip().lower(), []).append(value.strip())
    return out


def parse_metadata_headers(text: str) -> dict[str, list[str]]:
    """RFC 822 style headers of a METADATA / PKG-INFO file; repeated keys kept in order."""
    return _split_unfolded(_header_block(text), _HEADER_LINE, None)


# The headers a Distribution keeps; Classifier lines and the like (most of a header block) are never split.
USED_HEADERS = ("name", "version", "requires-dist", "requires-python")
_USED_LINE = re.compile(r"^(name|version|requires-dist|requires-python)[ \t]*:([^\n]*)$", re.MULTILINE | re.IGNORECASE)


def used_metadata_headers(text: str) -> dict[str, list[str]]:
    """``parse_metadata_headers`` restricted to ``USED_HEADERS``, reading only those lines where it can."""
    return _split_unfolded(_header_block(text), _USED_LINE, USED_HEADERS)


def _parse_folded_headers(block: str) -> dict[str, list[str]]:
    """The general reader: continuation lines, CRLF, stray blank lines."""
    headers: dict[str, list[str]] = {}
    last: str | None = None
    for line in block.splitlines():
        if not line.strip():
            break
        if line[0] in " \t" and last is not None:
            headers[last][-1] += " " + line.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        last = key.strip().lower()
        headers.setdefault(last, []).append(value.strip())
    return headers


def parse_wheel_tags(text: str) -> list[str]:
    return [line.partition(":")[2].strip() for line in text.splitlines() if line.lower().startswith("tag:")]


def _metadata_file(folder: str) -> tuple[str, str]:
    if folder.endswith(".dist-info"):
        return posixpath.join(folder, "METADATA"), "dist-info"
    return posixpath.join(folder, "PKG-INFO"), "egg-info"


def read_distribution(host: Host, folder: str, with_tags: bool = False) -> Distribution | None:
    """One distribution from its metadata folder; None if the metadata is unreadable."""
    found = distribution_or_reason(host, folder, with_tags)
    return found if isinstance(found, Distribution) else None


def distribution_or_reason(host: Host, folder: str, with_tags: bool = False) -> Distribution | str:
    """One distribution from its metadata folder, or why it cannot be read (to be recorded as an unknown)."""
    meta_path, kind = _metadata_file(folder)
    try:
        if kind == "egg-info" and host.is_file(folder):  # old single-file egg-info
            meta_path = folder
        headers = used_metadata_headers(read_metadata_headers_text(host, meta_path))
    except HostError as exc:
        return f"metadata unreadable: {exc}"
    name = (headers.get("name") or [""])[0]
    version = (headers.get("version") or [""])[0]
    if not name or not version:
        missing = " and ".join(h for h, v in (("Name", name), ("Version", version)) if not v)
        return f"{posixpath.basename(meta_path)} has no {missing}"
    requires = headers.get("requires-dist", [])
    if kind == "egg-info" and not requires:
        requires = _egg_requires(host, folder)
    installer = None
    tags: list[str] = []
    if kind == "dist-info":
        try:
            installer = host.read_text(posixpath.join(folder, "INSTALLER"), 256).strip() or None
        except HostError:
            pass
        if with_tags:
            try:
                tags = parse_wheel_tags(host.read_text(posixpath.join(folder, "WHEEL"), 16 << 10))
            except HostError:
                pass
    return Distribution(
        name=name,
        version=version,
        requires=requires,
        requires_python=next(iter(headers.get("requires-python") or []), None),
        location=folder,
        installer=installer,
        wheel_tags=tags,
    )


def _egg_requires(host: Host, folder: str) -> list[str]:
    try:
        text = host.read_text(posixpath.join(folder, "requires.txt"), 64 << 10)
    except HostError:
        return []
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            break  # extras sections follow; the base requirements come first
        out.append(line)
    return out


def read_site_packages(host: Host, site: str, tagged: Callable[[str], bool] = lambda name: False,
                       unreadable: Callable[[str, str], None] | None = None) -> list[Distribution]:
    """Every distribution in one site-packages folder; those ``tagged`` accepts (by name) get their WHEEL tags too.

    A distribution whose metadata cannot be read is passed to ``unreadable`` (folder, reason):
    it is installed, so it must not silently vanish from the report.
    """
    try:
        entries = host.list_dir(site)
    except HostError:
        return []
    out = []
    for entry in entries:
        if not (entry.name.endswith(".dist-info") or entry.name.endswith(".egg-info")):
            continue
        stem = entry.name.split("-", 1)[0].lower().replace("_", "-")
        folder = posixpath.join(site, entry.name)
        dist = distribution_or_reason(host, folder, with_tags=tagged(stem))
        if isinstance(dist, Distribution):
            out.append(dist)
        elif unreadable is not None:
            unreadable(folder, dist)
    return out
