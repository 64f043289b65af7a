"""python -m tools.refresh [TABLE ...] [--check | --new-releases]: regenerate matrices from their sources.

Without TABLE every registered table is refreshed. Each table's module exposes
``refresh(today: str) -> dict``, the whole matrix document; this runner gives it
its header, validates it, writes ``matrices/<name>.yaml`` when it changed, prints
the entries added, removed and changed, and recompiles the fast-load twins.
``--check`` writes nothing and exits 1 when a committed file differs from what
a fresh run produces (CI runs it on the sources kept under ``sources/``).
``--new-releases`` writes nothing either: it asks the package registry (through pip)
which releases of the packages the matrices speak of are newer than the newest
they record, and exits 1 when there are some (tools/refresh/new_releases.py).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from tools.refresh.common import MATRICES, compare, finish, render, validate

# Table name -> the module whose refresh(today) returns its document. A module not
# in this checkout is skipped with a message, so tables can land one at a time.
TABLES: dict[str, str] = {
    "nvidia_gpus": "tools.refresh.nvidia_gpus",
    "torch_builds": "tools.refresh.torch_builds",
}


def _module(table: str) -> ModuleType | None:
    name = TABLES[table]
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def _read(path: Path) -> tuple[str | None, dict | None]:
    if not path.is_file():
        return None, None
    from accelctl.matrices.base import parse_yaml

    data = path.read_bytes()
    return data.decode("utf-8"), parse_yaml(data)


def refresh_table(table: str, today: str, folder: Path, check: bool, out=sys.stdout) -> tuple[int, bool]:
    """Refresh one table: (exit status, whether a file was written)."""
    module = _module(table)
    if module is None:
        print(f"{table}: skipped ({TABLES[table]} is not in this checkout)", file=out)
        return 0, False
    doc = module.refresh(today)
    path = folder / f"{doc['name']}.yaml"
    old_text, old = _read(path)
    doc = finish(doc, old, today)
    validate(doc, path)
    text = render(doc)
    changes = compare(doc["name"], (old or {}).get("entries") or [], doc["entries"])
    for line in changes.lines(doc["name"]):
        print(line, file=out)
    if text == old_text:
        return 0, False
    if check:
        print(f"{path}: differs from a fresh refresh (run python -m tools.refresh {table})", file=out)
        return 1, False
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}", file=out)
    return 0, True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.refresh", description=__doc__.split("\n\n")[0])
    parser.add_argument("tables", nargs="*", metavar="TABLE", help=f"tables to refresh (default: all: {', '.join(TABLES)})")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a committed matrix is stale")
    parser.add_argument("--today", default=_dt.datetime.now(_dt.timezone.utc).date().isoformat(),
                        help="the date recorded for what is read now (default: today, UTC)")
    parser.add_argument("--matrices", type=Path, default=MATRICES, metavar="DIR", help="where the matrices live")
    parser.add_argument("--new-releases", action="store_true",
                        help="list registry releases newer than the matrices know (asks the registry through pip)")
    args = parser.parse_args(argv)
    if args.new_releases:
        from tools.refresh import new_releases

        return new_releases.main(args.matrices)
    unknown = [t for t in args.tables if t not in TABLES]
    if unknown:
        parser.error(f"unknown table(s): {', '.join(unknown)} (known: {', '.join(TABLES)})")
    from accelctl.matrices import MatrixError

    status, wrote = 0, False
    for table in args.tables or list(TABLES):
        try:
            code, written = refresh_table(table, args.today, args.matrices, args.check)
        except MatrixError as exc:  # the sources gave a table the loader rejects: write nothing, say why
            print("\n".join(exc.problems), file=sys.stderr)
            code, written = 2, False
        status, wrote = max(status, code), wrote or written
    if wrote:
        from accelctl.matrices.compile import compile_all

        print(f"compiled {compile_all(args.matrices)} matrices")
    return status


if __name__ == "__main__":
    sys.exit(main())
