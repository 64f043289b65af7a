"""Pieces every inventory section shares: provenance and what could not be learned."""

from __future__ import annotations

from typing import Literal

from accelctl.errors import SnapshotError
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


__all__ = ["ProbeRun", "ProbeStatus", "SnapshotError", "Unknown"]
