"""`accelctl fleet`: check every node's snapshot at once and say which nodes need attention."""

from __future__ import annotations

import os
import sys

import typer

from accelctl.cli.exits import InputError, guarded


def register(app: typer.Typer) -> None:
    app.command("fleet", help=(
        "Check many nodes' snapshots at once: the same checks as `doctor --from`, one line a node, "
        "and how many nodes each rule fired on.\n\n"
        "On each node: accelctl doctor --snapshot /shared/snapshots/$(hostname).json --fail-on never\n\n"
        "Then: accelctl fleet /shared/snapshots --jobs 8\n\n"
        "Exit 1 when a node has findings at or above --fail-on, 2 when a snapshot cannot be read, "
        "4 when both."))(fleet)


def fleet(
    inputs: list[str] = typer.Argument(..., metavar="SNAPSHOT|DIR...", help="Snapshot files, or folders of *.json snapshots."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json | markdown."),
    json_out: bool = typer.Option(False, "--json", help="Shorthand for --format json."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=0, help="Worker processes (0: one per CPU)."),
    fail_on: str = typer.Option("error", "--fail-on", help="error | warning | never."),
    select: list[str] = typer.Option([], "--select", metavar="RULE", help="Only these rules. Repeatable."),
    ignore: list[str] = typer.Option([], "--ignore", metavar="RULE", help="Skip these rules. Repeatable."),
    matrices: list[str] = typer.Option([], "--matrices", metavar="DIR", help="Your matrices layered over the bundled ones."),
    output: str | None = typer.Option(None, "--output", "-o", metavar="FILE", help="Write the report to FILE."),
    debug: bool = typer.Option(False, "--debug"),
) -> None:
    from accelctl.report.fleet import FLEET_FORMATS

    fmt = "json" if json_out else fmt
    if fmt not in FLEET_FORMATS:
        raise typer.BadParameter(f"expected one of {', '.join(FLEET_FORMATS)}", param_hint="--format")
    if fail_on not in ("error", "warning", "never"):
        raise typer.BadParameter("expected error, warning or never", param_hint="--fail-on")

    def body() -> int:
        from accelctl.cli.usage import check_rule_keys
        from accelctl.doctor import Diagnosis
        from accelctl.fleet_check import check_fleet, exit_code, snapshot_paths
        from accelctl.report import fleet as render

        check_rule_keys("--select", select)
        check_rule_keys("--ignore", ignore)
        paths = snapshot_paths(inputs)
        if not paths:
            raise InputError(f"no *.json snapshots in {', '.join(inputs)}", reference="no-snapshots",
                             hint="write them with `accelctl doctor --snapshot DIR/$(hostname).json` on each node")
        workers = jobs or os.cpu_count() or 1
        from accelctl.report.terminal import progress

        with progress("checking snapshots", len(paths), sys.stderr, os.environ) as advance:
            report = check_fleet(paths, Diagnosis(select=select, ignore=ignore, matrices=matrices), jobs=workers,
                                 progress=advance)
        if fmt == "text":
            from accelctl.report.terminal import terminal_width

            text = render.render_text(report, width=100 if output else terminal_width(sys.stdout, os.environ))
        else:
            text = {"json": render.render_json, "markdown": render.render_markdown}[fmt](report)
        if output:
            from accelctl.cli.usage import write_output

            write_output(output, text)
        else:
            sys.stdout.write(text)
        return exit_code(report, fail_on)

    raise typer.Exit(guarded(body, debug))
