"""`accelctl doctor`: what is here, what is broken, how to fix it."""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import TYPE_CHECKING

import typer

from accelctl.cli.exits import guarded
from accelctl.cli.usage import check_expect, check_rule_keys, checked_assumptions, write_output
from accelctl.errors import UsageError

if TYPE_CHECKING:
    from accelctl.report.model import Origin

FAIL_ON = ("error", "warning", "never")


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


_ASSUME_HELP = ("What-if: change a fact before checking: driver=550.54.15, cuda_driver=12.4, gpu='RTX 5090', "
                "cc=12.0, python=3.11, glibc=2.31, torch=2.5.1+cu124 (an installed or matrix-known distribution), "
                "pkg:NAME=VERSION (add a distribution), os.libc_version=2.31 (an inventory field). Repeatable.")


def doctor(
    json_out: bool = typer.Option(False, "--json", help="Shorthand for --format json."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json | markdown | sarif | junit."),
    snapshot: str | None = typer.Option(None, "--snapshot", metavar="FILE", help="Also write the inventory to FILE."),
    from_file: str | None = typer.Option(None, "--from", metavar="FILE", help="Check a snapshot instead of probing."),
    root: str | None = typer.Option(None, "--root", metavar="DIR", help="Inspect a filesystem tree (files only: no commands, no NVML)."),
    env: list[str] = typer.Option([], "--env", metavar="KEY=VALUE|FILE", help="With --root: the environment the tree runs with (LD_LIBRARY_PATH ...), a pair or a file of KEY=VALUE lines. Repeatable."),
    python: str | None = typer.Option(None, "--python", metavar="PATH", help="Inspect this environment (nothing is imported from it): an interpreter (.venv/bin/python), an environment folder (.venv) or a command on PATH (python3.12). Default: $VIRTUAL_ENV, an activated conda env, ./.venv, then python3 on PATH."),
    expect: list[str] = typer.Option([], "--expect", metavar="VENDOR", help="Require a usable accelerator: nvidia, amd, intel, google, aws, habana. Repeatable."),
    assume: list[str] = typer.Option([], "--assume", metavar="KEY=VALUE", help=_ASSUME_HELP),
    fail_on: str = typer.Option("error", "--fail-on", help="Exit 1 on findings at or above: error | warning | never."),
    select: list[str] = typer.Option([], "--select", metavar="RULE", help="Only these rules (ID, ID prefix or name). Repeatable."),
    ignore: list[str] = typer.Option([], "--ignore", metavar="RULE", help="Skip these rules (ID, ID prefix or name). Repeatable."),
    matrices: list[str] = typer.Option([], "--matrices", metavar="DIR", help="Layer your own matrices over the bundled ones. Repeatable."),
    scan_fatbins: bool = typer.Option(False, "--scan-fatbins", help="Read compiled GPU code from framework libraries (slow: large files)."),
    output: str | None = typer.Option(None, "--output", "-o", metavar="FILE", help="Write the report to FILE instead of standard output."),
    color: bool | None = typer.Option(None, "--color/--no-color", help="Force or disable colour (default: on a terminal)."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of internal errors."),
) -> None:
    from accelctl.report import FORMATS

    fmt = "json" if json_out else fmt
    if fmt not in FORMATS:
        raise typer.BadParameter(f"unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}", param_hint="--format")
    if fail_on not in FAIL_ON:
        raise typer.BadParameter("expected error, warning or never", param_hint="--fail-on")
    if from_file is not None and root is not None:
        raise typer.BadParameter("--from and --root cannot be combined")
    if env and root is None:
        raise typer.BadParameter("--env gives an unpacked filesystem its environment: use it with --root",
                                 param_hint="--env")

    def body() -> int:
        from accelctl import doctor as logic
        from accelctl.report import renderer

        if from_file and (python or scan_fatbins):
            raise UsageError("--from loads a snapshot: --python and --scan-fatbins do not apply", field="--from")
        check_expect(expect)
        check_rule_keys("--select", select)
        check_rule_keys("--ignore", ignore)
        environment = None
        if env:
            from accelctl.envfile import environment_from_options

            environment = environment_from_options(env)
        matrix_set = logic.matrix_set(matrices)
        diagnosis = logic.Diagnosis(expect=expect, select=select, ignore=ignore, matrices=matrices,
                                    assume=checked_assumptions(assume, matrix_set))
        inventory = logic.gather(logic.Source(snapshot=from_file, root=root, env=environment, python=python,
                                              scan_fatbins=scan_fatbins),
                                 matrix_set)
        if snapshot:
            write_output(snapshot, inventory.to_json() + "\n")
        report = dataclasses.replace(logic.diagnose(inventory, diagnosis, matrix_set),
                                     origin=_origin(from_file, root))
        if fmt == "text":
            from accelctl.report.terminal import color_wanted, terminal_width

            text = renderer(fmt)(report, color=color_wanted(color, sys.stdout, os.environ, to_file=bool(output)),
                                 width=terminal_width(sys.stdout, os.environ) if not output else None)
        else:
            text = renderer(fmt)(report)
        if output:
            write_output(output, text)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
        return logic.exit_code(report, fail_on)

    def interruptible() -> int:
        from accelctl.interrupts import children_end_on_interrupt, signals_raise

        # SIGTERM and SIGHUP unwind like Ctrl-C; a wedged tool or a vendor library's child is ended with the run
        with signals_raise(), children_end_on_interrupt():
            return body()

    raise typer.Exit(guarded(interruptible, debug))


def _origin(from_file: str | None, root: str | None) -> Origin:
    """What the report is about, as named on the command line (headers; SARIF locates results at a --from file)."""
    from accelctl.report.locations import checkout_root, checkout_uri
    from accelctl.report.model import Origin

    if from_file:
        return Origin("snapshot", from_file, checkout_uri(os.path.abspath(from_file), checkout_root(os.environ, os.getcwd())))
    if root:
        return Origin("rootfs", root)
    return Origin()
