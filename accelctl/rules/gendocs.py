"""Write docs/rules/<ID>.md for every rule (a test fails when they are stale)."""

from __future__ import annotations

import sys
from pathlib import Path

from accelctl.rules import all_rules
from accelctl.rules.docs import rule_page


def write_all(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    rules = all_rules()
    for r in rules:
        (folder / f"{r.id}.md").write_text(rule_page(r), encoding="utf-8")
    index = ["# Rules", "", "| ID | name | severity | title |", "|---|---|---|---|"]
    index += [f"| [{r.id}]({r.id}.md) | {r.name} | {r.severity} | {r.title} |" for r in rules]
    (folder / "README.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return len(rules)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "docs" / "rules"
    print(f"wrote {write_all(target)} rule pages to {target}")
