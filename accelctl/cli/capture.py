"""`accelctl capture DIR`: record what the probes read here, redacted, as a fixture."""

from __future__ import annotations

import datetime as _dt
import os
import sys

import typer

from accelctl.cli.exits import InputError, guarded


def register(app: typer.Typer) -> None:
    app.command("capture", help=(
        "Record exactly what the probes read on this machine (files, command outputs, NVML answers), with "
        "serials, UUIDs, hostnames and MAC addresses redacted, into DIR. Tests load DIR as a fixture host; "
        "attach it to a bug report so we can reproduce your node.\n\n"
        "This is the only command that writes, and it writes only inside DIR."))(capture)


def capture(
    folder: str = typer.Argument(..., metavar="DIR", help="A new or empty folder."),
    python: str = typer.Option(None, "--python", metavar="PATH", help="Inspect this interpreter's environment."),
    debug: bool = typer.Option(False, "--debug"),
) -> None:
    def body() -> int:
        from accelctl import __version__
        from accelctl.doctor import own_prefix
        from accelctl.host.live import LiveHost
        from accelctl.host.recording import RecordingHost, write_capture
        from accelctl.probes.base import ProbeOptions
        from accelctl.probes.collect import collect
        from accelctl.probes.environment import relevant_env

        if os.path.exists(folder) and (not os.path.isdir(folder) or os.listdir(folder)):
            raise InputError(f"{folder}: must be a new or empty folder", reference="capture-folder-not-empty", file=folder,
                             hint="name a folder that does not exist yet; capture never overwrites")
        live = LiveHost()
        rec = RecordingHost(live)
        from accelctl.report.terminal import progress

        with progress("probing this machine", None, sys.stderr, os.environ):
            inv = collect(rec, ProbeOptions(python=python, accelctl_prefix=own_prefix(), working_dir=os.getcwd()),
                          mode="live")  # type: ignore[arg-type]
        os.makedirs(folder, exist_ok=True)
        stamp = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
        readme = (f"# Capture made by accelctl {__version__} on {stamp}\n\n"
                  f"{len(inv.accelerators)} accelerator(s); OS {inv.os.pretty_name or 'unknown'}.\n"
                  "Files, listings, links, commands and NVML/amdsmi answers the probes used; identifying values redacted.")
        # the working folder decides which environment is inspected (./.venv): a replay must see the same one
        recorded = {**relevant_env(dict(live.env)), "PWD": os.getcwd()}
        notes = write_capture(rec, folder, live.env, readme, recorded)
        typer.echo(f"captured {len(rec.files)} files, {len(rec.commands)} commands, "
                   f"{len(rec.nvml_calls)} NVML answers into {folder}" + (f" ({len(notes)} binary files reduced to strings)" if notes else ""))
        return 0

    raise typer.Exit(guarded(body, debug))
