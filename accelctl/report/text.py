"""The rich terminal report: summary line first, then facts, findings by severity, the plan."""

from __future__ import annotations

import io

from accelctl.report.facts import headline_facts
from accelctl.report.model import Report, headline

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_LABEL = {"error": "ERROR", "warning": "WARN", "info": "INFO"}


def render(report: Report, color: bool = False, width: int | None = None) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width or 100,
                      highlight=False, soft_wrap=False)
    s = report.summary
    style = "bold red" if s.errors else "yellow" if s.warnings or s.undecided else "bold green"
    console.print(Text(f"accelctl doctor: {headline(s)}", style=style))
    console.print()
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    for k, v in headline_facts(report.inventory):
        facts.add_row(k, v)
    console.print(facts)
    for severity in ("error", "warning", "info"):
        group = [f for f in report.findings if f.severity == severity]
        if not group:
            continue
        console.print()
        for f in group:
            line = Text()
            line.append(f"{_LABEL[severity]:<5} ", style=_STYLE[severity])
            line.append(f"{f.rule_id} ", style="bold")
            line.append(f.message)
            console.print(line)
            if f.subject:
                console.print(Text(f"      on {f.subject}", style="dim"))
            for e in f.evidence:
                console.print(Text(f"      {e.fact}: {e.value}" + (f"  [{e.source}]" if e.source else ""), style="dim"))
            console.print(Text(f"      see: accelctl explain {f.rule_id}", style="dim"))
    if report.undecided:
        console.print()
        console.print(Text("Undecided (a fact these checks need is unknown; not a pass):", style="bold"))
        for u in report.undecided:
            line = Text()
            line.append(f"{'UNDEC':<5} ", style=_STYLE[u.severity])
            line.append(f"{u.rule_id} ", style="bold")
            line.append(u.message)
            console.print(line)
            if u.subject:
                console.print(Text(f"      on {u.subject}", style="dim"))
            if u.missing:
                console.print(Text(f"      unknown: {'; '.join(u.missing)}", style="dim"))
            if u.settle:
                console.print(Text(f"      to decide: {'; '.join(u.settle)}", style="dim"))
    if report.plan:
        console.print()
        console.print(Text("Fix-it plan (nothing is run for you):", style="bold"))
        for i, p in enumerate(report.plan, 1):
            st = p.step
            alt = f"  (alternative: {st.alternative})" if st.alternative else ""
            console.print(Text(f"{i}. {st.title}{alt}  — fixes {', '.join(p.fixes)}", style="bold"))
            if st.why:
                console.print(Text(f"   why: {st.why}"))
            for c in st.commands:
                console.print(Text(f"   $ {c}", style="green"))
            if st.risks:
                console.print(Text(f"   risks: {', '.join(st.risks)}", style="yellow"))
            if st.verify:
                console.print(Text(f"   verify: {st.verify}", style="dim"))
    unknown = len(report.inventory.unknowns)
    if unknown:
        console.print()
        console.print(Text(f"{unknown} fact(s) could not be learned; see --format markdown or --json 'unknowns'.", style="dim"))
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"
