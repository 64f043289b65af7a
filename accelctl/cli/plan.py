"""`accelctl plan`: pinned requirements, a base image and a Dockerfile that will work on a target."""

from __future__ import annotations

import os
import sys

import typer

from accelctl.cli.exits import InputError, guarded
from accelctl.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command("plan", help=(
        "Write pinned requirements (and a Dockerfile) that the matrices say will work on a target.\n\n"
        "The target is this machine (default), a snapshot (--from), a fleet (--fleet: every class at once), "
        "or flags (--driver 535.104.05 --gpu 'NVIDIA H100 80GB HBM3', --cuda 12.4, --rocm 6.2 --gfx gfx942, "
        "--xpu, --cpu, --python 3.11, --glibc 2.31).\n\n"
        "Examples:\n\n"
        "  accelctl plan torch torchvision --driver 535.104.05 --gpu 'NVIDIA A100-SXM4-80GB' --python 3.11\n\n"
        "  accelctl plan vllm --fleet fleet.yaml -o plan/\n\n"
        "  accelctl plan 'jax[cuda]' --from node.json --format json"))(plan)


def plan(
    wants: list[str] = typer.Argument(None, metavar="WANT...", help="Requirements: torch>=2.4, torchvision, vllm, 'jax[cuda]', tensorflow ..."),
    requirements: str | None = typer.Option(None, "--requirements", "-r", metavar="FILE", help="Take the wants from a requirements file."),
    from_file: str | None = typer.Option(None, "--from", metavar="FILE", help="Target: a doctor snapshot."),
    fleet_path: str | None = typer.Option(None, "--fleet", metavar="FLEET.yaml", help="Target: every node class of a fleet."),
    driver: str | None = typer.Option(None, "--driver", help="Target NVIDIA driver version."),
    gpu: str | None = typer.Option(None, "--gpu", help="Target GPU model (as nvidia-smi names it)."),
    cc: str | None = typer.Option(None, "--cc", help="Target compute capability, e.g. 9.0."),
    cuda: str | None = typer.Option(None, "--cuda", help="Highest CUDA version the target driver supports."),
    rocm: str | None = typer.Option(None, "--rocm", help="Target ROCm version."),
    gfx: str | None = typer.Option(None, "--gfx", help="Target AMD gfx target, e.g. gfx942."),
    xpu: bool = typer.Option(False, "--xpu", help="Target an Intel GPU."),
    cpu: bool = typer.Option(False, "--cpu", help="Target CPU only."),
    python: str | None = typer.Option(None, "--python", help="Target Python version (default: the target's, else 3.12)."),
    glibc: str | None = typer.Option(None, "--glibc", help="Target glibc version."),
    arch: str = typer.Option("x86_64", "--arch", help="x86_64 | aarch64."),
    strategy: str = typer.Option("newest", "--strategy", help="newest (default) | closest (to what is installed)."),
    output_dir: str | None = typer.Option(None, "--output-dir", "-o", metavar="DIR",
                                             help="Write requirements.txt, constraints.txt, pyproject.uv.toml, Dockerfile, PLAN.md."),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json | requirements."),
    resolve: bool = typer.Option(False, "--resolve", help="Check the result with pip's resolver (needs the index)."),
    allow_unknown: bool = typer.Option(False, "--allow-unknown",
                                       help="Keep a name that looks like a misspelling of a known package as given."),
    matrices: list[str] = typer.Option([], "--matrices", metavar="DIR"),
    debug: bool = typer.Option(False, "--debug"),
) -> None:
    if strategy not in ("newest", "closest"):
        raise typer.BadParameter("expected newest or closest", param_hint="--strategy")

    def body() -> int:
        from accelctl.doctor import gpu_cc, matrix_set
        from accelctl.plan import render
        from accelctl.plan.names import check_names
        from accelctl.plan.solve import parse_wants, solve

        ms = matrix_set(matrices)
        items = list(wants or [])
        if requirements:
            items += _read_requirements(requirements)
        if not items:
            raise UsageError("nothing to plan: name what you want (e.g. torch torchvision) or pass -r requirements.txt",
                             reference="nothing-to-plan", field="WANT")
        try:
            parse_wants(items)
        except ValueError as exc:
            raise UsageError(str(exc), reference="bad-requirement", field="WANT") from None
        if not allow_unknown:
            check_names(items, ms)
        targets = _targets(ms, from_file, fleet_path, driver, gpu, cc, cuda, rocm, gfx, xpu, cpu, python, glibc, arch,
                           lambda name: gpu_cc(ms, name))
        try:
            result = solve(items, targets, ms, strategy)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        py = targets[0].python or "3.12"
        image = render.choose_base_image(result, ms)
        if output_dir:
            os.makedirs(output_dir, exist_ok=True)
            for name, text in render.files(result, image, py).items():
                with open(os.path.join(output_dir, name), "w", encoding="utf-8") as fh:
                    fh.write(text)
        if fmt == "json":
            sys.stdout.write(render.plan_json(result, image))
        elif fmt == "requirements":
            sys.stdout.write(render.requirements_txt(result))
        else:
            sys.stdout.write(render.explanation(result, image))
            if result.ok:
                sys.stdout.write("\n" + render.requirements_txt(result))
        if resolve and result.ok:
            from accelctl.plan.resolve import check_with_pip
            from accelctl.report.terminal import progress

            with progress("checking with pip's resolver", None, sys.stderr, os.environ):
                ok, message = check_with_pip(render.requirements_txt(result), py, arch, targets[0].glibc or "2.35")
            sys.stderr.write(f"pip resolver: {message}\n")
            if not ok:
                return 1
        return 0 if result.ok else 1

    raise typer.Exit(guarded(body, debug))


def _read_requirements(path: str) -> list[str]:
    from accelctl.bounded import read_regular

    raw = read_regular(path, 4 << 20, "requirements file")  # a FIFO or /dev/zero: exit 2, never a hang
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text", reference="requirements-unreadable", file=path) from None
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip() and not line.lstrip().startswith("-")]


def _targets(ms, from_file, fleet_path, driver, gpu, cc, cuda, rocm, gfx, xpu, cpu, python, glibc, arch, gpu_cc):
    import dataclasses

    from accelctl.plan.target import from_flags, from_fleet, from_inventory

    flags_given = any((driver, gpu, cc, cuda, rocm, gfx, xpu, cpu))
    if fleet_path:
        from accelctl.gate.fleet import FleetError, load_fleet

        try:
            targets = from_fleet(load_fleet(fleet_path), ms, gpu_cc)
        except FleetError as exc:
            from accelctl.cli.gate import input_error

            raise input_error(exc, fleet_path) from None
    elif from_file:
        from accelctl.doctor import Source, gather

        targets = [from_inventory(gather(Source(snapshot=from_file), ms), ms)]
    elif flags_given:
        vendor = "intel" if xpu else "cpu" if cpu else None
        if gpu and not cc and vendor is None and not (rocm or gfx) and gpu_cc(gpu) is None:
            # Planning for a GPU whose compute capability is unknown would pin builds without checking
            # their architectures: refuse and ask for the capability instead.
            raise InputError(f"--gpu {gpu!r}: the nvidia_gpus matrix does not know this GPU's compute capability "
                             "(an unknown name, a name shared by GPUs of different capabilities, or a GPU whose "
                             "capability no source gives); pass it with --cc (nvidia-smi --query-gpu=compute_cap "
                             "prints it, e.g. --cc 6.1), or name the GPU by its PCI device id (--gpu 10de:1b06)")
        targets = [from_flags(ms, vendor, driver, gpu, cc, cuda, rocm, gfx, python, glibc, arch, gpu_cc)]
    else:
        from accelctl.doctor import Source, gather

        targets = [from_inventory(gather(Source(), ms), ms, "this machine")]
    overrides = {k: v for k, v in (("python", python), ("glibc", glibc)) if v}
    return [dataclasses.replace(t, **overrides) for t in targets] if overrides else targets
