"""--format sarif: SARIF 2.1.0 that GitHub code scanning accepts, for doctor and gate.

What code scanning needs beyond the OASIS schema, from GitHub's "SARIF support for
code scanning" page: a file location relative to the checkout (no URI scheme) on
every result (``report.locations`` says where); ``partialFingerprints`` so a rerun updates alerts instead of opening new
ones (SARIF 2.1.0 section 3.27.17); rules with ``helpUri``, ``help`` and at most
20 tags; no ``automationDetails.id`` (the upload's ``category`` sets it); and the
upload limits (at most 25,000 results and rules a run, a 10 MB gzipped file),
which are kept here and reported in ``toolExecutionNotifications`` when reached.
https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
https://docs.github.com/en/code-security/code-scanning/troubleshooting-sarif-uploads/results-exceed-limit
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from accelctl import __version__
from accelctl.findings import Finding, Undecided
from accelctl.report.locations import stand_in_uri
from accelctl.report.model import Origin, Report
from accelctl.rules.base import DOCS_BASE, Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL: dict[str, str] = {"error": "error", "warning": "warning", "info": "note"}
FINGERPRINT = "accelctl/v1"
MAX_RESULTS = 25_000  # results a run may carry
MAX_RULES = 25_000  # rules a run may carry
MAX_TAGS = 20  # tags a rule may carry
MAX_GZIP_BYTES = 10 * 1024 * 1024  # the uploaded file, gzipped
INFORMATION_URI = DOCS_BASE.rsplit("/blob/", 1)[0]

Json = dict[str, Any]


def render(report: Report) -> str:
    """Doctor's SARIF: results at the ``--from`` snapshot when it is in the checkout, else at a stand-in path."""
    uri = doctor_uri(report.origin)
    items: list[Finding | Undecided] = [*report.findings, *report.undecided]
    results = [result_for(i, physical_location(uri, 1, [{"name": i.subject or "node", "kind": "resource"}]),
                          (i.rule_id, uri, "", i.subject or "")) for i in items]
    return document(results, items)


def doctor_uri(origin: Origin) -> str:
    """Where doctor's results point: the snapshot or folder in the checkout, else a stand-in named after it."""
    if origin.uri:
        return origin.uri
    if origin.kind in ("snapshot", "rootfs"):
        return stand_in_uri(origin.kind, origin.path)
    return stand_in_uri("node", "live")


def result_for(item: Finding | Undecided, location: Json, identity: Sequence[str], prefix: str = "",
               extra: Json | None = None, related: Sequence[Json] = ()) -> Json:
    """One result for a finding (failed) or an undecided check; ``identity`` makes its fingerprint."""
    state = "failed" if isinstance(item, Finding) else "undecided"
    subject = f" [{item.subject}]" if item.subject else ""
    if isinstance(item, Finding):
        text = f"{prefix}{item.message}{subject}"
        props: Json = {"accelctl/state": state,
                       "evidence": [{"fact": e.fact, "value": e.value, "source": e.source} for e in item.evidence]}
    else:
        # A result at warning (or note) level, marked by a property: code scanning shows results, not
        # notifications, and SARIF's kind "open" (could not decide) would force level "none", which hides it.
        settle = f" To decide: {'; '.join(item.settle)}." if item.settle else ""
        text = f"{prefix}Undecided: {item.message}{subject}{settle}"
        props = {"accelctl/state": state, "missing": list(item.missing), "settle": list(item.settle)}
    out: Json = {
        "ruleId": item.rule_id,
        "level": LEVEL[item.severity],
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: fingerprint(*identity, state)},
        "properties": {**props, **(extra or {})},
    }
    if related:
        out["relatedLocations"] = [{"id": i, **loc} for i, loc in enumerate(related, 1)]
    return out


def fingerprint(*parts: str) -> str:
    """A stable identity: what was checked and where, never message text, temporary paths or times."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def physical_location(uri: str, line: int | None, logical: list[Json]) -> Json:
    """A file location (code scanning needs one on every result; its view needs ``region.startLine``)."""
    return {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": max(1, line or 1)}},
            "logicalLocations": logical}


def rule_descriptor(item: Finding | Undecided, rule: Rule | None) -> Json:
    """A rule's SARIF descriptor from its documentation (``rule``: registered; else the finding's own text)."""
    from accelctl.rules.docs import rule_page

    title = rule.title if rule else item.title
    body = rule.doc.split("\n", 1)[1].strip() if rule and "\n" in rule.doc else ""
    full = body.split("\n\n", 1)[0].replace("\n", " ") if body else (getattr(item, "explanation", "") or title)
    family = rule.family if rule else item.family
    return {
        "id": item.rule_id,
        "name": rule.name if rule else item.rule_name,
        "shortDescription": {"text": title},
        "fullDescription": {"text": full},
        "helpUri": f"{DOCS_BASE}/{item.rule_id}.md",
        "help": {"text": f"{title}\n\n{body}".strip() if rule else title,
                 "markdown": _page(rule_page(rule)) if rule else f"**{title}**"},
        "defaultConfiguration": {"level": LEVEL[rule.severity if rule else item.severity]},
        "properties": {"tags": [t for t in ("accelctl", family) if t][:MAX_TAGS]},
    }


def _page(markdown: str) -> str:
    """A rule's docs page without its generator's comment."""
    return "\n".join(line for line in markdown.splitlines() if not line.startswith("<!--")).strip() + "\n"


def document(results: list[Json], items: Sequence[Finding | Undecided]) -> str:
    """The SARIF text: one run, rules indexed, the upload limits kept (and said when they cut something)."""
    from accelctl.rules import by_id

    registry = by_id()
    rules: dict[str, Json] = {}
    for item in items:
        if item.rule_id not in rules:
            rules[item.rule_id] = rule_descriptor(item, registry.get(item.rule_id))
    notes: list[Json] = []
    if len(results) > MAX_RESULTS:
        notes.append(_note("results-capped", f"{len(results)} results; the first {MAX_RESULTS} are included "
                           "(GitHub code scanning accepts at most 25,000 a run)"))
        results = results[:MAX_RESULTS]
    used = list(dict.fromkeys(r["ruleId"] for r in results))[:MAX_RULES]
    index = {rule_id: i for i, rule_id in enumerate(used)}
    results = [{**r, "ruleIndex": index[r["ruleId"]]} for r in results if r["ruleId"] in index]
    text = _text(results, [rules[r] for r in used], notes)
    while len(text.encode("utf-8")) > MAX_GZIP_BYTES and len(gzip.compress(text.encode("utf-8"))) > MAX_GZIP_BYTES:
        keep = len(results) // 2
        notes = [n for n in notes if n["descriptor"]["id"] != "size-capped"]
        notes.append(_note("size-capped", f"the report exceeded 10 MB gzipped; the first {keep} of "
                           f"{len(results)} results are included"))
        results = results[:keep]
        text = _text(results, [rules[r] for r in used], notes)
    return text


def _note(ref: str, text: str) -> Json:
    return {"level": "warning", "message": {"text": text}, "descriptor": {"id": ref}}


def _text(results: list[Json], rules: list[Json], notes: list[Json]) -> str:
    invocation: Json = {"executionSuccessful": True}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "accelctl", "version": __version__, "informationUri": INFORMATION_URI,
                                "rules": rules}},
            "invocations": [invocation],
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2) + "\n"
