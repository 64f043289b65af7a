"""The `accelctl` executable: tune the process, then hand over to the CLI."""

from __future__ import annotations


def main() -> None:
    import gc

    # A run allocates many small, mostly acyclic objects (modules, inventory, findings). With the default
    # threshold (700) the cyclic collector runs ~50 times in one doctor run and finds nothing (~4% of it).
    gc.set_threshold(50_000, 20, 20)
    import sys

    args = sys.argv[1:]
    if args[:1] == ["doctor"]:
        from accelctl.cli.fastpath import parse_doctor

        parsed = parse_doctor(args[1:])
        if parsed is not None:
            from accelctl.cli.doctor_run import run

            sys.exit(run(parsed))
    from accelctl.cli import main as cli_main

    cli_main()
