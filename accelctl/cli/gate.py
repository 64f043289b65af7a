"""`accelctl gate`: will this image run on every node class of the fleet?"""

from __future__ import annotations

import dataclasses
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
    env: list[str] = typer.Option([], "--env", metavar="KEY=VALUE|FILE",
                                  help="Environment the image runs with, over its config's Env (as `docker run -e`). Repeatable."),
    dockerfile: str | None = typer.Option(None, "--dockerfile", metavar="FILE",
                                          help="The Dockerfile the image was built from: SARIF results point at its "
                                               "last FROM line, where a fix for the image goes."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | markdown | json | sarif | junit."),
    output: str | None = typer.Option(None, "--output", "-o", metavar="FILE", help="Write the report to FILE."),
    summary: str | None = typer.Option(None, "--summary", metavar="FILE",
                                          help="Also append a Markdown summary to FILE (e.g. $GITHUB_STEP_SUMMARY)."),
    fail_on: str = typer.Option("error", "--fail-on", help="error | warning | never."),
    matrices: list[str] = typer.Option([], "--matrices", metavar="DIR", help="Your matrices layered over the bundled ones."),
    color: bool | None = typer.Option(None, "--color/--no-color", help="Force or disable colour (default: on a terminal)."),
    debug: bool = typer.Option(False, "--debug"),
) -> None:
    from accelctl.gate.render import RENDERERS, render_text

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
        from accelctl.report.locations import checkout_root, checkout_uri, fleet_class_lines, stand_in_uri
        from accelctl.report.terminal import color_wanted, progress, terminal_width

        try:
            fleet = load_fleet(fleet_path)
            ms = matrix_set(matrices)
            from accelctl.envfile import environment_from_options

            with signals_raise():  # SIGTERM unwinds like Ctrl-C: the image's temporary folder is removed
                inventory = _image_inventory(image, rootfs, python, environment_from_options(env))
        except (FleetError, ImageError) as exc:
            raise input_error(exc, fleet_path, image or rootfs) from None
        with progress("checking node classes", len(fleet.classes), sys.stderr, os.environ) as advance:
            result = evaluate(inventory, fleet, ms, lambda name: gpu_cc(ms, name), progress=advance)
        fleet_uri = checkout_uri(os.path.abspath(fleet_path), checkout_root(os.environ, os.getcwd()))
        result = dataclasses.replace(result, fleet_uri=fleet_uri or stand_in_uri("fleet", fleet_path),
                                     class_lines=fleet_class_lines(fleet_path))
        if dockerfile:
            uri, line = _dockerfile_location(dockerfile)
            result = dataclasses.replace(result, dockerfile_uri=uri, dockerfile_line=line)
        if fmt == "text":
            text = render_text(result, color=color_wanted(color, sys.stdout, os.environ, to_file=bool(output)),
                               width=None if output else terminal_width(sys.stdout, os.environ))
        else:
            text = RENDERERS[fmt](result)
        from accelctl.cli.usage import write_output

        if output:
            write_output(output, text)
        else:
            sys.stdout.write(text)
        if summary:
            write_output(summary, RENDERERS["markdown"](result), append=True)
        if fail_on == "never":
            return 0
        bad = {"error": ("fails",), "warning": ("fails", "runs-with-warnings")}[fail_on]
        return 1 if any(r.verdict in bad and r.node_class.required for r in result.results) else 0

    raise typer.Exit(guarded(body, debug))


def input_error(exc: Exception, fleet_path: str | None, image: str | None = None) -> InputError:
    """A fleet spec's or an image's error as accelctl's own, with its reference and a hint."""
    from accelctl.gate.fleet import FleetError

    if isinstance(exc, FleetError):
        return InputError(str(exc), reference="fleet-spec-invalid", file=fleet_path,
                          hint="docs/gate.md describes the fleet spec: 'fleet: 1' and a list of node classes")
    return InputError(str(exc), reference="image-unreadable", file=image,
                      hint="give a `docker save` archive, an OCI layout folder (--image) or an unpacked rootfs (--rootfs)")


def _image_inventory(image: str | None, rootfs: str | None, python: str | None, extra_env: dict[str, str]):
    from accelctl.doctor import own_prefix
    from accelctl.host.filesystem import FileSystemHost
    from accelctl.probes.base import ProbeOptions
    from accelctl.probes.collect import collect

    options = ProbeOptions(python=python, accelctl_prefix=own_prefix())
    if image:
        from accelctl.gate.image import unpack_image
        from accelctl.report.terminal import progress

        # the config's Env is what the container starts with; --env values come on top, like `docker run -e`
        with progress("reading image", None, sys.stderr, os.environ) as advance, \
                unpack_image(image, lambda what, done, total: advance(f"{what} ({done}/{total})")) as unpacked:
            host = FileSystemHost(unpacked.root, env={**unpacked.env, **extra_env}, label=f"image {unpacked.reference}")
            return collect(host, options, mode="rootfs")
    if rootfs:
        if not os.path.isdir(rootfs):
            raise InputError(f"--rootfs {rootfs}: not a directory", reference="rootfs-missing", file=rootfs)
        return collect(FileSystemHost(rootfs, env=extra_env, label=f"rootfs {rootfs}"), options, mode="rootfs")
    host = FileSystemHost("/", env={**os.environ, **extra_env}, label="this image (running filesystem)")
    return collect(host, options, mode="rootfs")


def _dockerfile_location(path: str) -> tuple[str, int]:
    """``--dockerfile`` as a SARIF location: relative to the checkout (a stand-in path outside it), its last FROM."""
    from accelctl.bounded import InputFileError, read_regular
    from accelctl.report.locations import checkout_root, checkout_uri, final_stage_line, stand_in_uri

    try:
        text = read_regular(path, 1 << 20, "Dockerfile").decode("utf-8", "replace")
    except InputFileError as exc:
        raise InputError(str(exc), reference="dockerfile-unreadable", file=path,
                         hint="name the Dockerfile the image was built from") from None
    line = final_stage_line(text)
    if line is None:
        raise InputError(f"{path}: no FROM instruction: not a Dockerfile", reference="dockerfile-unreadable",
                         file=path, field="FROM", hint="name the Dockerfile the image was built from")
    uri = checkout_uri(os.path.abspath(path), checkout_root(os.environ, os.getcwd()))
    return uri or stand_in_uri("dockerfile", path), line
