"""--format markdown: a report to paste into a bug report or a CI job summary."""

from __future__ import annotations

from accelctl.report.facts import headline_facts
from accelctl.report.model import Report, headline

_ICON = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(report: Report) -> str:
    s = report.summary
    out: list[str] = ["## accelctl doctor", ""]
    out.append(f"**{headline(s)}**")
    out += ["", "| | |", "|---|---|"]
    out += [f"| {_cell(k.strip())} | {_cell(v)} |" for k, v in headline_facts(report.inventory, report.origin)]
    if report.findings:
        out += ["", "### Findings", ""]
        for f in report.findings:
            subject = f" — {f.subject}" if f.subject else ""
            out.append(f"- {_ICON[f.severity]} **{f.rule_id}** {f.title}{subject}: {f.message}")
            for e in f.evidence:
                out.append(f"  - {e.fact}: `{e.value}`" + (f" ({e.source})" if e.source else ""))
    if report.undecided:
        out += ["", "### Undecided", "", "A fact these checks need is unknown, so they could not decide (not a pass):", ""]
        for u in report.undecided:
            subject = f" — {u.subject}" if u.subject else ""
            out.append(f"- ❔ **{u.rule_id}** `{u.rule_name}`{subject}: {u.message}")  # the title states a failure
            if u.missing:
                out.append(f"  - unknown: {'; '.join(u.missing)}")
            if u.settle:
                out.append(f"  - to decide: {'; '.join(f'`{x}`' if x.startswith(('--', 'accelctl')) else x for x in u.settle)}")
    if report.plan:
        out += ["", "### Fix-it plan", ""]
        for i, p in enumerate(report.plan, 1):
            st = p.step
            alt = f" _(alternative: {st.alternative})_" if st.alternative else ""
            out.append(f"{i}. **{st.title}**{alt} — fixes {', '.join(p.fixes)}")
            if st.why:
                out.append(f"   {st.why}")
            if st.commands:
                out += ["   ```sh", *[f"   {c}" for c in st.commands], "   ```"]
            if st.risks:
                out.append(f"   Risks: {', '.join(st.risks)}")
            if st.verify:
                out.append(f"   Verify: `{st.verify}`")
    unknowns = report.inventory.unknowns
    if unknowns:
        out += ["", f"<details><summary>Not learned ({len(unknowns)})</summary>", ""]
        out += [f"- {u.probe}: {u.fact}: {u.reason}" for u in unknowns]
        out += ["", "</details>"]
    return "\n".join(out) + "\n"
