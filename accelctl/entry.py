"""The `accelctl` executable: tune the process, hand the command line to the CLI, end at once."""

from __future__ import annotations


def main() -> None:
    import gc

    # A run allocates many small, mostly acyclic objects (modules, inventory, findings), so the cyclic
    # collector's default threshold (700) makes it run many times and find nothing.
    gc.set_threshold(50_000, 20, 20)
    from accelctl.cli import main as cli_main

    try:
        cli_main()
    except SystemExit as done:
        code = done.code
    else:
        code = 0
    finish(code if isinstance(code, int) else (0 if code is None else 1))


def finish(code: int) -> None:
    """Flush the output and end the process at once.

    The command has written its output, closed its files and ended or killed
    every child it started; what interpreter shutdown would still do (tearing
    down every module, freeing the heap object by object) changes nothing
    outside the process. Only the executable ends this way: code that calls the
    CLI (tests, other tools) keeps a normal interpreter.
    """
    import os
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (| head): nothing more can be said on it
            pass
    os._exit(code)
