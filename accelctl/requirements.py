"""Requires-Dist lines parsed once per process, mostly without packaging's tokenizer.

A doctor run reads a few hundred requirement lines (torch alone has dozens) and
both the probes and the rules need them. packaging's ``Requirement`` runs a
general tokenizer per line; most lines are the simple form
``name[extras] specifiers ; marker`` whose few distinct markers
(``platform_system == "Linux"``) repeat on every line. Those are split with one
regular expression and built from ``SpecifierSet`` and a cached ``Marker``:
the same ``Requirement`` objects, checked equal to packaging's own parse in the
tests. Anything else (URLs, odd spacing, errors) goes through packaging.
"""

from __future__ import annotations

import functools
import re

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_SIMPLE = re.compile(
    r"^\s*(?P<name>" + _NAME + r")\s*"
    r"(?:\[(?P<extras>[^\]]*)\])?\s*"
    r"(?:\((?P<pspec>[^()@;]*)\)|(?P<spec>[^()@;\[\]]*?))\s*"
    r"(?:;\s*(?P<marker>[^@]*?))?\s*$"
)
_EXTRA = re.compile(r"^" + _NAME + r"$")


@functools.lru_cache(maxsize=8192)
def parse_requirement(line: str) -> Requirement | None:
    """The requirement on a Requires-Dist line, or None when it does not parse. Shared: treat as read-only."""
    fast = _simple(line)
    if fast is not None:
        return fast
    try:
        return Requirement(line)
    except InvalidRequirement:
        return None


@functools.lru_cache(maxsize=1024)
def _marker(text: str) -> Marker:
    return Marker(text)


def _simple(line: str) -> Requirement | None:
    m = _SIMPLE.match(line)
    if m is None:
        return None
    extras = set()
    if m.group("extras") is not None:
        for item in m.group("extras").split(","):
            item = item.strip()
            if not item:
                continue
            if not _EXTRA.match(item):
                return None
            extras.add(item)
    spec_text = (m.group("pspec") if m.group("pspec") is not None else m.group("spec") or "").strip()
    try:
        specifier = SpecifierSet(spec_text)
        marker = _marker(m.group("marker")) if m.group("marker") else None
    except (InvalidSpecifier, InvalidMarker, ValueError):
        return None
    req = Requirement.__new__(Requirement)
    req.name = m.group("name")
    req.url = None
    req.extras = extras
    req.specifier = specifier
    req.marker = marker
    return req
