"""The fix-it plan as a shell script to read, edit and run yourself (accelctl never runs it)."""

from __future__ import annotations

from accelctl.plan.fixit import PlanStep


def plan_script(steps: list[PlanStep], host: str) -> str:
    out = ["#!/bin/sh",
           f"# Fix-it plan for {host}, written by `accelctl fix --script`.",
           "# Read it first: nothing here has been run. Alternatives are commented out: uncomment the one you pick.",
           "set -eu", ""]
    if not steps:
        out.append("echo 'accelctl: nothing to fix'")
    for i, p in enumerate(steps, 1):
        st = p.step
        # one of several alternatives is the user's choice, so none runs by default, not even the recommended one
        active = st.recommended and not st.alternative
        label = f"alternative: {st.alternative}" + (", recommended" if st.recommended else "")
        out.append(f"# {i}. {st.title}" + (f"  [{label}]" if st.alternative else ""))
        out.append(f"#    fixes: {', '.join(p.fixes)}")
        if st.why:
            out.append(f"#    why: {st.why}")
        if st.risks:
            out.append(f"#    risks: {', '.join(st.risks)}")
        if not st.commands:
            out.append("#    (no command: a manual step)")
        for cmd in st.commands:
            out.append(cmd if active else f"# {cmd}")
        if st.verify:
            out.append(f"#    verify: {st.verify}")
        out.append("")
    return "\n".join(out) + "\n"
