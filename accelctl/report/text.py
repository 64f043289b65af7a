"""The rich terminal report: summary line first, then facts, findings by severity, the plan.

Laid out for the width it is given (80 columns and up): prose wraps under its
own indent, and each shell command of the plan is printed whole on a line of its
own, never wrapped or cut (a terminal soft-wraps a long one, and copying it gives
the command back in one piece).
"""

from __future__ import annotations

import io
from typing import Any

from accelctl.report.facts import headline_facts
from accelctl.report.model import Report, headline

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_LABEL = {"error": "ERROR", "warning": "WARN", "info": "INFO"}
COMMAND_INDENT = "     "  # under the step's text, one level in


def console_for(buf: io.StringIO, color: bool, width: int | None) -> Any:
    """A rich console writing to ``buf``: colour only when asked (the caller decided from flags and environment)."""
    from rich.console import Console

    return Console(file=buf, force_terminal=color, no_color=not color, color_system="standard" if color else None,
                   width=width or 100, highlight=False, soft_wrap=False, emoji=False, markup=False)


class Hanging:
    """Rows of a lead and a body whose continuation lines start under the body, printed as one grid a block."""

    def __init__(self, console: Any, lead_width: int) -> None:
        self.console = console
        self.lead_width = lead_width
        self.rows: list[tuple[Any, Any]] = []

    def row(self, lead: str, body: Any, lead_style: str = "", body_style: str = "") -> None:
        from rich.text import Text

        self.rows.append((Text(lead, style=lead_style), body if isinstance(body, Text) else Text(body, style=body_style)))

    def flush(self) -> None:
        """Print the rows so far (nothing when there are none)."""
        from rich.table import Table

        if not self.rows:
            return
        grid = Table.grid()
        grid.add_column(no_wrap=True, width=self.lead_width)
        grid.add_column(overflow="fold")
        for lead, body in self.rows:
            grid.add_row(lead, body)
        self.console.print(grid)
        self.rows = []


def hanging(console: Any, lead: str, body: Any, lead_style: str = "", body_style: str = "") -> None:
    """``lead`` then ``body``; continuation lines of ``body`` start under its first character."""
    block = Hanging(console, len(lead))
    block.row(lead, body, lead_style, body_style)
    block.flush()


def command(console: Any, cmd: str, indent: str = COMMAND_INDENT) -> None:
    """A shell command alone on its line, never wrapped or cut, so a copy of it runs."""
    from rich.text import Text

    console.print(Text(indent + cmd, style="green", no_wrap=True, overflow="ignore"), soft_wrap=True)


def finish(buf: io.StringIO) -> str:
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


def render(report: Report, color: bool = False, width: int | None = None) -> str:
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    console = console_for(buf, color, width)
    s = report.summary
    style = "bold red" if s.errors else "yellow" if s.warnings or s.undecided else "bold green"
    console.print(Text(f"accelctl doctor: {headline(s)}", style=style))
    console.print()
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")
    for k, v in headline_facts(report.inventory, report.origin):
        facts.add_row(k, v)
    console.print(facts)
    for severity in ("error", "warning", "info"):
        group = [f for f in report.findings if f.severity == severity]
        if not group:
            continue
        console.print()
        block = Hanging(console, 6)
        for f in group:
            line = Text()
            line.append(f"{f.rule_id} ", style="bold")
            line.append(f.message)
            block.row(f"{_LABEL[severity]:<6}", line, lead_style=_STYLE[severity])
            if f.subject:
                block.row("", f"on {f.subject}", body_style="dim")
            for e in f.evidence:
                block.row("", f"{e.fact}: {e.value}" + (f"  [{e.source}]" if e.source else ""), body_style="dim")
            block.row("", f"see: accelctl explain {f.rule_id}", body_style="dim")
        block.flush()
    if report.undecided:
        console.print()
        console.print(Text("Undecided (a fact these checks need is unknown; not a pass):", style="bold"))
        block = Hanging(console, 6)
        for u in report.undecided:
            line = Text()
            line.append(f"{u.rule_id} ", style="bold")
            line.append(u.message)
            block.row(f"{'UNDEC':<6}", line, lead_style=_STYLE[u.severity])
            if u.subject:
                block.row("", f"on {u.subject}", body_style="dim")
            if u.missing:
                block.row("", f"unknown: {'; '.join(u.missing)}", body_style="dim")
            if u.settle:
                block.row("", f"to decide: {'; '.join(u.settle)}", body_style="dim")
        block.flush()
    if report.plan:
        console.print()
        console.print(Text("Fix-it plan (nothing is run for you):", style="bold"))
        for i, p in enumerate(report.plan, 1):
            st = p.step
            alt = f"  (alternative: {st.alternative})" if st.alternative else ""
            block = Hanging(console, 3)
            block.row(f"{i}.", f"{st.title}{alt}  — fixes {', '.join(p.fixes)}", body_style="bold")
            if st.why:
                block.row("", f"why: {st.why}")
            if st.commands:
                block.row("", "run:" if len(st.commands) == 1 else "run, in order:")
            block.flush()
            for c in st.commands:
                command(console, c)
            if st.risks:
                block.row("", f"risks: {', '.join(st.risks)}", body_style="yellow")
            if st.verify:
                block.row("", "verify:", body_style="dim")
            block.flush()
            if st.verify:
                command(console, st.verify)
    unknown = len(report.inventory.unknowns)
    if unknown:
        console.print()
        console.print(Text(f"{unknown} fact(s) could not be learned; see --format markdown or --json 'unknowns'.",
                           style="dim"))
    return finish(buf)
