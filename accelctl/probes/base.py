"""What a probe is, and the context it runs in.

A probe is a small named unit: it reads the machine only through its Host and
returns one inventory section. What it cannot learn it records as an Unknown
with the reason; it never raises past its boundary (the runner catches what
slips through and records that too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from typing import Any

from accelctl.host.base import Host
from accelctl.inventory.common import Unknown
from accelctl.record import record


@record
class ProbeOptions:
    """What the user asked for that changes what probes look at."""

    python: str | None = None  # --python PATH
    scan_fatbins: bool = False  # read compiled GPU code sections of large libraries
    command_timeout: float = 5.0  # seconds any one command may take
    accelctl_prefix: str | None = None  # accelctl's own venv, never mistaken for the user's
    working_dir: str | None = None  # where accelctl was started (its ./.venv is a candidate environment)


@record
class ProbeContext:
    host: Host
    options: ProbeOptions
    probe: str = ""
    results: dict[str, Any] = field(default_factory=dict)  # earlier probes' sections, by section name
    unknowns: list[Unknown] = field(default_factory=list)

    def unknown(self, fact: str, reason: str) -> None:
        """Record that ``fact`` could not be learned, and why."""
        self.unknowns.append(Unknown(self.probe, fact, reason))

    def for_probe(self, name: str) -> ProbeContext:
        """A view of this context (the same results and unknowns) whose unknowns are attributed to ``name``."""
        return ProbeContext(self.host, self.options, name, self.results, self.unknowns)


@record
class Probe:
    name: str
    section: str  # the Inventory field this probe fills
    run: Callable[[ProbeContext], Any]
    requires: tuple[str, ...] = ()  # sections that must be filled first
    timeout: float = 10.0
