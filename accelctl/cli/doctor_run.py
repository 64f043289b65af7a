"""What `accelctl doctor` does once the typer command (``accelctl.cli.doctor``) has parsed its options."""

from __future__ import annotations

import sys
from dataclasses import field

from accelctl.cli.exits import InputError, guarded
from accelctl.record import record

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
            raise InputError("--from loads a snapshot: --python and --scan-fatbins do not apply")
        matrices = logic.matrix_set(args.matrices)
        diagnosis = logic.Diagnosis(expect=args.expect, select=args.select, ignore=args.ignore,
                                    matrices=args.matrices, assume=args.assume)
        inventory = logic.gather(logic.Source(snapshot=args.from_file, root=args.root, python=args.python,
                                              scan_fatbins=args.scan_fatbins), matrices)
        if args.snapshot:
            _write(args.snapshot, inventory.to_json() + "\n")
        report = logic.diagnose(inventory, diagnosis, matrices)
        render = renderer(fmt)
        if fmt == "text":
            use_color = sys.stdout.isatty() if args.color is None and not args.output else bool(args.color)
            text = render(report, color=use_color)
        else:
            text = render(report)
        if args.output:
            _write(args.output, text)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
        return logic.exit_code(report, args.fail_on)

    return guarded(body, args.debug)


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
