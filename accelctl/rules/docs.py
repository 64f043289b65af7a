"""A rule's docs page, generated from its docstring (docs/rules/<ID>.md is this text)."""

from __future__ import annotations

from accelctl.rules.base import Rule


def rule_page(r: Rule) -> str:
    body = r.doc.split("\n", 1)[1].strip() if "\n" in r.doc else ""
    lines = [
        f"# {r.id} {r.name}",
        "",
        f"**{r.title}**",
        "",
        f"- Family: {r.family}",
        f"- Default severity: {r.severity}",
        f"- Select or ignore with: `--select {r.id}` / `--ignore {r.id}` (or `--ignore {r.name}`)",
    ]
    if r.decides_on:
        lines.append(f"- Decides on: {'; '.join(r.decides_on)}. Where one of these is unknown, the check reports "
                     "itself undecided (warning by default), never passed.")
    if r.platforms != ("linux",):
        lines.append(f"- Runs on inventories from: {', '.join(r.platforms)} (the others run on Linux ones only)")
    lines += [
        "",
    ]
    if body:
        lines += [body, ""]
    lines += ["<!-- generated from the rule's docstring by `python -m accelctl.rules.gendocs`; do not edit -->", ""]
    return "\n".join(lines)
