"""Whether two `doctor --json` reports say the same thing, timings and timestamps aside.

    python3 bench/same_report.py before.json after.json

A speed change must not change an answer: this compares the whole report
(inventory, findings, plan) after dropping what differs between any two runs
(the probe runs and their durations, the creation time). Exit 0 when equal; else the first
differing paths are printed and the exit code is 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def normalised(report: Any) -> Any:
    inventory = report.get("inventory", {})
    inventory.pop("created", None)
    inventory.pop("probes", None)  # how each probe ran (and how long): not what the report says
    return report


def differences(a: Any, b: Any, path: str = "") -> Iterator[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                yield f"{path}/{key}: only in {'the second' if key in b else 'the first'}"
            else:
                yield from differences(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from differences(x, y, f"{path}[{i}]")
    elif a != b:
        yield f"{path}: {json.dumps(a)[:80]} != {json.dumps(b)[:80]}"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    first, second = (normalised(json.loads(Path(p).read_text(encoding="utf-8"))) for p in argv)
    found = list(differences(first, second))
    for line in found[:20]:
        print(line)
    print("same report" if not found else f"{len(found)} differences")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
