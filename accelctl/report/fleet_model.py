"""What ``accelctl fleet`` found: one result per node and the roll-up by rule, as the renderers receive it."""

from __future__ import annotations

from dataclasses import field

from accelctl.findings import SEVERITY_ORDER
from accelctl.record import record

FLEET_SCHEMA_VERSION = 1


@record
class NodeFinding:
    rule_id: str
    severity: str
    title: str
    subject: str | None = None
    state: str = "failed"  # failed (a finding) | undecided (the check could not decide: a deciding fact unknown)


@record
class NodeResult:
    """One snapshot's outcome; ``error`` set (and no findings) when the file could not be read."""

    path: str
    node: str = ""  # the file name without .json: snapshots carry no host name
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    findings: list[NodeFinding] = field(default_factory=list)
    error: str | None = None

    @property
    def verdict(self) -> str:
        if self.error is not None:
            return "unreadable"
        # an undecided check weighs at its level, like a finding (undecided is not healthy)
        undecided = {f.severity for f in self.findings if f.state == "undecided"}
        if self.errors or "error" in undecided:
            return "errors"
        return "warnings" if self.warnings or "warning" in undecided else "ok"


@record
class RuleCount:
    """How many nodes one rule fired on (a node counts once, however many findings it has)."""

    rule_id: str
    severity: str
    title: str
    nodes: int
    state: str = "failed"  # failed | undecided: nodes where the rule could not decide


@record
class FleetReport:
    nodes: list[NodeResult]

    def counts(self) -> dict[str, int]:
        out = {"ok": 0, "warnings": 0, "errors": 0, "unreadable": 0}
        for node in self.nodes:
            out[node.verdict] += 1
        return out

    def by_rule(self) -> list[RuleCount]:
        seen: dict[tuple[str, str], tuple[str, str, set]] = {}
        for node in self.nodes:
            for f in node.findings:
                entry = seen.setdefault((f.rule_id, f.state), (f.severity, f.title, set()))
                entry[2].add(node.path)
        rows = [RuleCount(rid, sev, title, len(paths), state) for (rid, state), (sev, title, paths) in seen.items()]
        return sorted(rows, key=lambda r: (r.state != "failed", -SEVERITY_ORDER[r.severity], -r.nodes, r.rule_id))


__all__ = ["FLEET_SCHEMA_VERSION", "FleetReport", "NodeFinding", "NodeResult", "RuleCount"]
