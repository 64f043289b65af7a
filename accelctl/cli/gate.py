"""`accelctl gate`: will this image run on every node class of the fleet?"""

from __future__ import annotations

import os
import sys

import typer

from accelctl.cli.exits import InputError, guarded


def register(app: typer.Typer) -> None:
    app.command("gate", help=(
        "Check a container image's userspace against a fleet's node classes, without a GPU or a Docker daemon.\n\n"
        "The image is the running filesystem (default: run inside the image's build), an unpacked rootfs "
        "(--rootfs DIR), or an archive from `docker save` / an OCI layout (--image FILE.tar or DIR).\n\n"
        "Exit 1 when a required class fails (or, with --fail-on warning, runs only with warnings).\n\n"
        "Example: accelctl gate --fleet fleet.yaml --image app.tar --format markdown -o summary.md"))(gate)


def gate(
    fleet_path: str = typer.Option(..., "--fleet", metavar="FLEET.yaml", help="The node classes (see docs/gate.md)."),
    image: str | None = typer.Option(None, "--image", metavar="FILE.tar|DIR", help="A docker-save archive or OCI layout."),
    rootfs: str | None = typer.Option(None, "--rootfs", metavar="DIR", help="An unpacked image filesystem."),
    python: str | None = typer.Option(None, "--python", metavar="PATH", help="The image's interpreter, if not found by itself."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | markdown | json | sarif | junit."),
    output: str | None = typer.Option(None, "--output", "-o", metavar="FILE", help="Write the report to FILE."),
    summary: str | None = typer.Option(None, "--summary", metavar="FILE",
                                          help="Also append a Markdown summary to FILE (e.g. $GITHUB_STEP_SUMMARY)."),
    fail_on: str = typer.Option("error", "--fail-on", help="error | warning | never."),
    matrices: list[str] = typer.Option([], "--matrices", metavar="DIR", help="Your matrices layered over the bundled ones."),
    debug: bool = typer.Option(False, "--debug"),
) -> None:
    from accelctl.gate.render import RENDERERS

    if fmt not in RENDERERS:
        raise typer.BadParameter(f"expected one of {', '.join(RENDERERS)}", param_hint="--format")
    if image and rootfs:
        raise typer.BadParameter("--image and --rootfs cannot be combined")

    def body() -> int:
        from accelctl.doctor import gpu_cc, matrix_set
        from accelctl.gate.evaluate import evaluate
        from accelctl.gate.fleet import FleetError, load_fleet
        from accelctl.gate.image import ImageError
        from accelctl.interrupts import signals_raise

        try:
            fleet = load_fleet(fleet_path)
            ms = matrix_set(matrices)
            with signals_raise():  # SIGTERM unwinds like Ctrl-C: the image's temporary folder is removed
                inventory = _image_inventory(image, rootfs, python)
        except (FleetError, ImageError) as exc:
            raise InputError(str(exc)) from None
        result = evaluate(inventory, fleet, ms, lambda name: gpu_cc(ms, name))
        text = RENDERERS[fmt](result) if fmt != "text" else RENDERERS["text"](result, color=sys.stdout.isatty() and not output)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            sys.stdout.write(text)
        if summary:
            with open(summary, "a", encoding="utf-8") as fh:
                fh.write(RENDERERS["markdown"](result))
        if fail_on == "never":
            return 0
        bad = {"error": ("fails",), "warning": ("fails", "runs-with-warnings")}[fail_on]
        return 1 if any(r.verdict in bad and r.node_class.required for r in result.results) else 0

    raise typer.Exit(guarded(body, debug))


def _image_inventory(image: str | None, rootfs: str | None, python: str | None):
    from accelctl.doctor import own_prefix
    from accelctl.host.filesystem import FileSystemHost
    from accelctl.probes.base import ProbeOptions
    from accelctl.probes.collect import collect

    options = ProbeOptions(python=python, accelctl_prefix=own_prefix())
    if image:
        from accelctl.gate.image import unpack_image

        progress = _progress() if sys.stderr.isatty() and not os.environ.get("CI") else None
        with unpack_image(image, progress) as unpacked:
            host = FileSystemHost(unpacked.root, env=unpacked.env, label=f"image {unpacked.reference}")
            return collect(host, options, mode="rootfs")
    if rootfs:
        if not os.path.isdir(rootfs):
            raise InputError(f"--rootfs {rootfs}: not a directory")
        return collect(FileSystemHost(rootfs, label=f"rootfs {rootfs}"), options, mode="rootfs")
    host = FileSystemHost("/", env=dict(os.environ), label="this image (running filesystem)")
    return collect(host, options, mode="rootfs")


def _progress():
    def report(what: str, done: int, total: int) -> None:
        sys.stderr.write(f"\r  reading image: {what} ({done}/{total})" + ("\n" if what == "done" else ""))
        sys.stderr.flush()

    return report
