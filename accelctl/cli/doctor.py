"""`accelctl doctor`: what is here, what is broken, how to fix it."""

from __future__ import annotations

import typer

from accelctl.cli.exits import Exit


def register(app: typer.Typer) -> None:
    app.command(
        "doctor",
        help=(
            "Probe this machine (or a snapshot / rootfs) and report problems with a fix-it plan.\n\n"
            "Examples:\n\n"
            "  accelctl doctor                      # rich report of this node\n\n"
            "  accelctl doctor --json               # inventory + findings for machines\n\n"
            "  accelctl doctor --snapshot node.json # save the inventory to check elsewhere\n\n"
            "  accelctl doctor --from node.json     # check a snapshot; probes nothing\n\n"
            "  accelctl doctor --root /mnt/image    # inspect an unpacked image (files only)\n\n"
            "  accelctl doctor --root /mnt/image --env LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu\n\n"
            "  accelctl doctor --expect nvidia --fail-on warning"
        ),
    )(doctor)


def doctor(
    json_out: bool = typer.Option(False, "--json", help="Shorthand for --format json."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json | markdown | sarif | junit."),
    snapshot: str | None = typer.Option(None, "--snapshot", metavar="FILE", help="Also write the inventory to FILE."),
    from_file: str | None = typer.Option(None, "--from", metavar="FILE", help="Check a snapshot instead of probing."),
    root: str | None = typer.Option(None, "--root", metavar="DIR", help="Inspect a filesystem tree (files only: no commands, no NVML)."),
    env: list[str] = typer.Option([], "--env", metavar="KEY=VALUE|FILE", help="With --root: the environment the tree runs with (LD_LIBRARY_PATH ...), a pair or a file of KEY=VALUE lines. Repeatable."),  # noqa: B008
    python: str | None = typer.Option(None, "--python", metavar="PATH", help="Inspect this interpreter's environment (nothing is imported from it)."),
    expect: list[str] = typer.Option([], "--expect", metavar="VENDOR", help="Require a usable accelerator: nvidia, amd, intel, google, aws, habana. Repeatable."),
    assume: list[str] = typer.Option([], "--assume", metavar="KEY=VALUE", help="What-if: change a fact before checking (e.g. driver=550.54.15, gpu='RTX 5090'). Repeatable."),
    fail_on: str = typer.Option("error", "--fail-on", help="Exit 1 on findings at or above: error | warning | never."),
    select: list[str] = typer.Option([], "--select", metavar="RULE", help="Only these rules (ID, ID prefix or name). Repeatable."),
    ignore: list[str] = typer.Option([], "--ignore", metavar="RULE", help="Skip these rules (ID, ID prefix or name). Repeatable."),
    matrices: list[str] = typer.Option([], "--matrices", metavar="DIR", help="Layer your own matrices over the bundled ones. Repeatable."),
    scan_fatbins: bool = typer.Option(False, "--scan-fatbins", help="Read compiled GPU code from framework libraries (slow: large files)."),
    output: str | None = typer.Option(None, "--output", "-o", metavar="FILE", help="Write the report to FILE instead of standard output."),
    color: bool | None = typer.Option(None, "--color/--no-color", help="Force or disable colour (default: on a terminal)."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of internal errors."),
) -> None:
    from accelctl.cli.doctor_run import DoctorArgs, check, run

    args = DoctorArgs(json_out=json_out, fmt=fmt, snapshot=snapshot, from_file=from_file, root=root, env=list(env), python=python,
                      expect=list(expect), assume=list(assume), fail_on=fail_on, select=list(select), ignore=list(ignore),
                      matrices=list(matrices), scan_fatbins=scan_fatbins, output=output, color=color, debug=debug)
    problem = check(args)
    if problem is not None:
        raise typer.BadParameter(problem[0], param_hint=problem[1])
    raise typer.Exit(run(args))


__all__ = ["Exit", "register"]
