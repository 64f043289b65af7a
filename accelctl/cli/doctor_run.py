"""What `accelctl doctor` does once its options are parsed; no CLI framework here.

Both the typer command (``accelctl.cli.doctor``) and the start-up fast path
(``accelctl.cli.fastpath``, which skips importing typer for plain doctor runs)
call ``check`` and ``run`` with the same ``DoctorArgs``.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import field
from typing import TYPE_CHECKING

from accelctl.cli.exits import InputError, guarded
from accelctl.cli.usage import check_expect, checked_assumptions
from accelctl.errors import UsageError
from accelctl.record import record

if TYPE_CHECKING:
    from accelctl.report.model import Origin

FAIL_ON = ("error", "warning", "never")


@record
class DoctorArgs:
    json_out: bool = False
    fmt: str = "text"
    snapshot: str | None = None
    from_file: str | None = None
    root: str | None = None
    python: str | None = None
    expect: list[str] = field(default_factory=list)
    assume: list[str] = field(default_factory=list)
    fail_on: str = "error"
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    matrices: list[str] = field(default_factory=list)
    scan_fatbins: bool = False
    output: str | None = None
    color: bool | None = None
    debug: bool = False


def check(args: DoctorArgs) -> tuple[str, str | None] | None:
    """(message, option) of the first usage error, or None."""
    from accelctl.report import FORMATS

    fmt = "json" if args.json_out else args.fmt
    if fmt not in FORMATS:
        return f"unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}", "--format"
    if args.fail_on not in FAIL_ON:
        return "expected error, warning or never", "--fail-on"
    if args.from_file is not None and args.root is not None:
        return "--from and --root cannot be combined", None
    return None


def run(args: DoctorArgs) -> int:
    """Probe (or load), diagnose, render; the exit code. Call ``check`` first."""
    from accelctl import doctor as logic
    from accelctl.report import renderer

    fmt = "json" if args.json_out else args.fmt

    def body() -> int:
        if args.from_file and (args.python or args.scan_fatbins):
            raise UsageError("--from loads a snapshot: --python and --scan-fatbins do not apply", field="--from")
        check_expect(args.expect)
        matrices = logic.matrix_set(args.matrices)
        diagnosis = logic.Diagnosis(expect=args.expect, select=args.select, ignore=args.ignore,
                                    matrices=args.matrices, assume=checked_assumptions(args.assume, matrices))
        inventory = logic.gather(logic.Source(snapshot=args.from_file, root=args.root, python=args.python,
                                              scan_fatbins=args.scan_fatbins), matrices,
                                 meanwhile=logic.diagnosis_imports(fmt, matrices),
                                 rehearse=lambda provisional: logic.diagnosis_in_parts(provisional, diagnosis,
                                                                                       matrices))
        if args.snapshot:
            _write(args.snapshot, inventory.to_json() + "\n")
        report = dataclasses.replace(logic.diagnose(inventory, diagnosis, matrices), origin=_origin(args))
        render = renderer(fmt)
        if fmt == "text":
            from accelctl.report.terminal import color_wanted, terminal_width

            text = render(report, color=color_wanted(args.color, sys.stdout, os.environ, to_file=bool(args.output)),
                          width=terminal_width(sys.stdout, os.environ) if not args.output else None)
        else:
            text = render(report)
        if args.output:
            _write(args.output, text)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
        return logic.exit_code(report, args.fail_on)

    return guarded(body, args.debug)


def _origin(args: DoctorArgs) -> Origin:
    """What the report is about, as named on the command line (headers; SARIF locates results at a --from file)."""
    from accelctl.report.locations import checkout_root, checkout_uri
    from accelctl.report.model import Origin

    if args.from_file:
        return Origin("snapshot", args.from_file, checkout_uri(os.path.abspath(args.from_file),
                                                                   checkout_root(os.environ, os.getcwd())))
    if args.root:
        return Origin("rootfs", args.root)
    return Origin()


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}", reference="output-unwritable", file=path) from None
