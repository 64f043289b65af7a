"""`accelctl matrices`: list, show, validate and query the compatibility data."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from accelctl.cli.exits import Exit, guarded


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="List, show, validate and query the compatibility matrices.", no_args_is_help=True,
                      rich_markup_mode=None)
    sub.command("list", help="Every matrix with its version, review date and entry count.")(list_cmd)
    sub.command("show", help="Print one matrix's entries with their sources.")(show_cmd)
    sub.command("validate", help="Validate the bundled matrices, or every *.yaml in DIR layered over them.")(validate_cmd)
    sub.command("explain", help=(
        "Answer a question from the matrices. Queries: 'cuda 12.4' (driver it needs), 'driver 535.104.05' "
        "(CUDA it runs), 'sm_120' or 'gpu RTX 5090' (a name as nvidia-smi prints it, or a PCI device id like "
        "'gpu 10de:2b85': its compute capability, with sources, and the torch variants that run there), "
        "'torch 2.5.1' (variants, "
        "pins, arch lists), 'rocm 6.2' (gfx targets)."))(explain_cmd)
    app.add_typer(sub, name="matrices")


_OVERLAY = typer.Option([], "--matrices", metavar="DIR", help="Layer your own matrices over the bundled ones.")


def list_cmd(json_out: bool = typer.Option(False, "--json"), overlays: list[str] = _OVERLAY) -> None:
    def body() -> None:
        from accelctl.doctor import matrix_set

        ms = matrix_set(overlays)
        rows = []
        for name in ms.names():
            m = ms.get(name)
            rows.append({"name": name, "version": m.version, "updated": m.updated, "entries": len(m.entries),
                         "path": m.path, "description": m.description})
        if json_out:
            typer.echo(json.dumps(rows, indent=2))
        else:
            for r in rows:
                typer.echo(f"{r['name']:<24} v{r['version']:<3} updated {r['updated']}  {r['entries']:>4} entries")

    guarded(body)


def show_cmd(name: str = typer.Argument(..., metavar="NAME"), json_out: bool = typer.Option(False, "--json"),
             overlays: list[str] = _OVERLAY) -> None:
    def body() -> None:
        from accelctl.doctor import matrix_set
        from accelctl.serde import to_data

        m = matrix_set(overlays).get(name)
        if json_out:
            typer.echo(json.dumps({"name": m.name, "version": m.version, "updated": m.updated,
                                   "entries": to_data(m.entries)}, indent=2))
            return
        typer.echo(f"# {m.name} (v{m.version}, updated {m.updated})\n{m.description}\n")
        for e in to_data(m.entries):
            prov = e.pop("provenance", {})
            facts = ", ".join(f"{k}={v}" for k, v in e.items() if v not in (None, [], {}))
            typer.echo(f"- {facts}\n    source: {' '.join(prov.get('source', []))} (read {prov.get('read')})")

    guarded(body)


def validate_cmd(folder: str | None = typer.Argument(None, metavar="[DIR]")) -> None:
    def body() -> int:
        from accelctl.matrices import MatrixError, MatrixSet, bundled_dir, specs

        known = specs()
        problems: list[str] = []
        checked = 0
        targets = [Path(folder)] if folder else [bundled_dir()]
        for target in targets:
            if not target.is_dir():
                problems.append(f"{target}: not a directory")
                continue
            if folder:  # exactly the checks every command makes of an overlay before using it
                try:
                    MatrixSet(overlays=[target], use_compiled=False).check_overlays()
                except MatrixError as exc:
                    problems.extend(exc.problems)
                checked += len(list(target.glob("*.yaml")))
                continue
            for path in sorted(target.glob("*.yaml")):
                if path.stem not in known:
                    problems.append(f"{path}: no matrix subject named {path.stem!r} (known: {', '.join(sorted(known))})")
                    continue
                try:
                    MatrixSet(use_compiled=False).get(path.stem)
                    checked += 1
                except MatrixError as exc:
                    problems.extend(exc.problems)
        for p in problems:
            typer.echo(p, err=True)
        if problems:
            typer.echo(f"{len(problems)} problem(s) in {', '.join(map(str, targets))}", err=True)
            return int(Exit.USAGE)
        typer.echo(f"{checked} matrices valid")
        return 0

    raise typer.Exit(guarded(body))


def explain_cmd(query: list[str] = typer.Argument(..., metavar="QUERY"), json_out: bool = typer.Option(False, "--json"),
                overlays: list[str] = _OVERLAY) -> None:
    def body() -> int:
        from accelctl.doctor import matrix_set
        from accelctl.matrices.explain import answer

        result = answer(" ".join(query), matrix_set(overlays))
        if json_out:
            typer.echo(json.dumps(result, indent=2))
        else:
            typer.echo(result["text"])
        return 0 if result.get("found", True) else int(Exit.FINDINGS)

    raise typer.Exit(guarded(body))
