"""Pieces every inventory section shares: provenance and what could not be learned."""

from __future__ import annotations

from typing import Literal

from accelctl.errors import AccelctlError
from accelctl.record import record

ProbeStatus = Literal["ok", "partial", "failed", "timeout", "skipped"]


@record
class Unknown:
    """A fact a probe could not learn, and why (never silently absent)."""

    probe: str
    fact: str
    reason: str


@record
class ProbeRun:
    """How one probe went: its status and cost."""

    name: str
    status: ProbeStatus
    duration_ms: float
    error: str | None = None


class SnapshotError(AccelctlError, ValueError):
    """A snapshot file cannot be used; the message names file and problem."""

    reference = "snapshot-unreadable"
    default_hint = "give a file written by `accelctl doctor --snapshot FILE` (or --json)"
