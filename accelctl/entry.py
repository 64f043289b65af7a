"""The `accelctl` executable: tune the process, then hand the command line to the CLI."""

from __future__ import annotations


def main() -> None:
    import gc

    # A run allocates many small, mostly acyclic objects (modules, inventory, findings), so the cyclic
    # collector's default threshold (700) makes it run many times and find nothing.
    gc.set_threshold(50_000, 20, 20)
    from accelctl.cli import main as cli_main

    cli_main()
