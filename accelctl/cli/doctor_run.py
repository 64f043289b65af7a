"""What `accelctl doctor` does once its options are parsed; no CLI framework here.

Both the typer command (``accelctl.cli.doctor``) and the start-up fast path
(``accelctl.cli.fastpath``, which skips importing typer for plain doctor runs)
call ``check`` and ``run`` with the same ``DoctorArgs``.
"""

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
    env: list[str] = field(default_factory=list)  # --env KEY=VALUE or FILE, for --root
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
    if args.env and args.root is None:
        return "--env gives an unpacked filesystem its environment: use it with --root", "--env"
    return None


def run(args: DoctorArgs) -> int:
    """Probe (or load), diagnose, render; the exit code. Call ``check`` first."""
    from accelctl import doctor as logic
    from accelctl.report import renderer

    fmt = "json" if args.json_out else args.fmt

    def body() -> int:
        if args.from_file and (args.python or args.scan_fatbins):
            raise InputError("--from loads a snapshot: --python and --scan-fatbins do not apply")
        from accelctl.envfile import environment_from_options

        env = environment_from_options(args.env) if args.env else None
        matrices = logic.matrix_set(args.matrices)
        diagnosis = logic.Diagnosis(expect=args.expect, select=args.select, ignore=args.ignore,
                                    matrices=args.matrices, assume=args.assume)
        inventory = logic.gather(logic.Source(snapshot=args.from_file, root=args.root, env=env, python=args.python,
                                              scan_fatbins=args.scan_fatbins), matrices,
                                 meanwhile=logic.diagnosis_imports(fmt, matrices),
                                 rehearse=lambda provisional: logic.diagnosis_in_parts(provisional, diagnosis,
                                                                                       matrices))
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
