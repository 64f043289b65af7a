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

            finish(run(parsed))
    from accelctl.cli import main as cli_main

    cli_main()


def finish(code: int) -> None:
    """Flush the output and end the process at once.

    The report is written and every command accelctl ran has been waited for;
    what interpreter shutdown would still do (tearing down ~150 modules, freeing
    the heap one object at a time) is ~17 ms of a doctor run on the H100 node
    and changes nothing outside the process. Only the executable ends this way:
    code that calls ``run`` (tests, other tools) keeps a normal interpreter.
    """
    import os
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (| head): nothing more can be said on it
            pass
    os._exit(code)
