"""Native library rules: pinned wheel versions, shadowing copies, mixed CUDA majors."""

from __future__ import annotations

from collections.abc import Iterator

from accelctl.findings import Evidence, FixStep
from accelctl.inventory.wheels import wheels_by_cuda_major
from accelctl.rules.base import Hit, RuleContext, rule
from accelctl.rules.facts import applies, dists, norm, requirement


@rule("LIB001", "pinned-wheel-not-installed", "error",
      decides_on=("Requires-Dist pins of each framework", "installed distributions"))
def pinned_wheel_not_installed(ctx: RuleContext) -> Iterator[Hit]:
    """A framework's pinned NVIDIA/Triton wheel is missing or at another version.

    PyTorch and JAX wheels pin the exact cuDNN, NCCL, cuBLAS, cuSPARSELt and Triton
    builds they were tested with (Requires-Dist ``==``). A different version
    installed next to them (often left by another package or a manual upgrade)
    loads instead and fails at import or, worse, at the first kernel with
    ``CUDNN_STATUS_*`` or undefined-symbol errors. Reinstall the pinned version.

    One exception is only a warning: torch's cuDNN check accepts a newer cuDNN
    minor release of the same major (since cuDNN 7 minors are backward compatible;
    ``torch/backends/cudnn/__init__.py``), so a newer ``nvidia-cudnn`` wheel of
    the pinned major runs, untested; an older minor or another major stops at the
    first cuDNN call with "cuDNN version incompatibility".
    """
    for env in ctx.inventory.python:
        installed = dists(env)
        hits = []
        for fw in env.frameworks:
            for name, spec in sorted(fw.pins.items()):
                if not (norm(name).startswith(("nvidia-", "cuda-", "triton", "pytorch-triton")) or norm(name) == "triton"):
                    continue
                have = installed.get(norm(name))
                req = requirement(f"{name}{spec}")
                if req is None or not applies(req, env, ctx.inventory):
                    continue
                if have is not None and req.specifier.contains(have.version, prereleases=True):
                    continue
                state = f"{have.version} is installed" if have else "it is not installed"
                runs = have is not None and fw.name == "torch" and _newer_cudnn_minor(norm(name), spec, have.version)
                hits.append((fw, name, spec, have, state, runs))
        if not hits:
            continue
        step = _install_pins_step(env, [(fw.name, name, spec) for fw, name, spec, *_ in hits])
        for fw, name, spec, have, state, runs in hits:
            yield Hit(
                f"{fw.name} {fw.version} pins {name}{spec}, but {state}"
                + (": torch accepts a newer cuDNN of the same major, untested." if runs else "."),
                subject=f"{fw.name} in {env.prefix}", severity="warning" if runs else None,
                evidence=[Evidence(f"{fw.name} Requires-Dist", f"{name}{spec}", fw.source or "dist-info METADATA"),
                          Evidence(f"installed {name}", have.version if have else "absent", have.location or "" if have else env.prefix or "")],
                fixes=[step],
            )


def _install_pins_step(env, pins: list[tuple[str, str, str]]) -> FixStep:
    """One step that installs every pin an environment misses, in one installer run.

    Installed one at a time, each run re-resolves the environment and may move a pin
    that an earlier run set; together, the installer sees every pin at once.
    """
    from accelctl.plan.install import Want, framework_check, install_command

    frameworks = sorted({fw for fw, _, _ in pins})
    pinned = sorted({(name, spec) for _, name, spec in pins})
    wants = [Want(f"{name}{spec}") for name, spec in pinned]
    who = " and ".join(frameworks)
    title = (f"Install the {pinned[0][0]} version {who} pins" if len(pinned) == 1
             else f"Install the {len(pinned)} library versions {who} pin{'s' if len(frameworks) == 1 else ''}, in one command")
    return FixStep(title, commands=[install_command(env, wants)],
                   why=f"{' and '.join(frameworks)} {'were' if len(frameworks) > 1 else 'was'} built and tested against exactly these builds",
                   risks=["changes-environment", "downloads"],
                   verify=framework_check(env, frameworks[0]))


def _newer_cudnn_minor(name: str, spec: str, have: str) -> bool:
    """Whether an installed nvidia-cudnn wheel is the pinned cuDNN major at a newer-or-equal minor."""
    if not name.startswith("nvidia-cudnn-"):
        return False
    pinned = spec.lstrip("=").split(".")
    got = have.split(".")
    try:
        return int(got[0]) == int(pinned[0]) and int(got[1]) >= int(pinned[1])
    except (ValueError, IndexError):
        return False


@rule("LIB002", "library-shadowed", "error",
      decides_on=("the copy of each pinned library the loader resolves", "the copy the framework pins"))
def library_shadowed(ctx: RuleContext) -> Iterator[Hit]:
    """Another copy of a library loads instead of the one the framework pins.

    The dynamic loader searches ``LD_LIBRARY_PATH`` before a library's RUNPATH,
    so a system cuDNN or NCCL listed there (common in CUDA base images and module
    systems) wins over the wheel copy the framework was built against. A wheel
    library found through its framework's DT_RPATH is safe from that, but what it
    loads itself is not: cuDNN 9's ``libcudnn.so.9`` dlopens ``libcudnn_graph.so.9``,
    the engines and the rest by soname with its own RUNPATH ``$ORIGIN``, which ranks
    below ``LD_LIBRARY_PATH`` (ld.so(8)), so the sub-libraries and the version cuDNN
    reports come from the other folder ("cuDNN version incompatibility: PyTorch was
    compiled against (9, 19, 0) but found runtime version (9, 14, 0)"). A soname
    already loaded (LD_PRELOAD, or another framework imported first) wins as well.
    Symptoms: version-mismatch errors at import or first use, ``CUDNN_STATUS_*``,
    NCCL hangs. Remove the folder from ``LD_LIBRARY_PATH`` for this job, or make the
    two copies agree.
    """
    resolutions = ctx.inventory.nvidia.resolutions
    # a framework shadowed on its own is reported once, not again for each import order
    alone = {(r.consumer, r.soname, r.resolved_path) for r in resolutions if r.shadowed and not r.loaded_after}
    groups: dict[tuple, list] = {}
    for res in resolutions:
        if res.shadowed and not (res.loaded_after and (res.consumer, res.soname, res.resolved_path) in alone):
            folder = res.resolved_path.rsplit("/", 1)[0] if res.resolved_path else ""
            key = (res.consumer, tuple(res.loaded_after), res.library, folder, res.resolved_via)
            groups.setdefault(key, []).append(res)
    for (consumer, after, library, folder, via), group in groups.items():
        res = group[0]
        label = consumer + (f" (imported after {', '.join(after)})" if after else "")
        got_version = res.resolved_version or "unknown version"
        want_version = res.expected_version or "unknown version"
        if len(group) == 1:
            names, got, want = res.soname, f"{res.resolved_path} ({got_version})", f"the copy it pins, {res.expected_path} ({want_version})"
        else:
            want_folder = res.expected_path.rsplit("/", 1)[0] if res.expected_path else "unknown"
            names = f"{res.soname} and {len(group) - 1} more ({', '.join(r.soname for r in group[1:])})"
            got, want = f"{folder} ({got_version})", f"the copies it pins in {want_folder} ({want_version})"
        fixes = []
        if via == "LD_LIBRARY_PATH" and folder:
            kept = [p for p in ctx.inventory.env.get("LD_LIBRARY_PATH", "").split(":") if p and p.rstrip("/") != folder.rstrip("/")]
            fixes.append(FixStep(f"Take {folder} out of LD_LIBRARY_PATH for this job",
                                 commands=[f"export LD_LIBRARY_PATH={':'.join(kept)}" if kept else "unset LD_LIBRARY_PATH"],
                                 why=f"the loader searches LD_LIBRARY_PATH before the RUNPATH of "
                                     f"{res.requested_by.rsplit('/', 1)[-1] if res.requested_by else consumer}",
                                 risks=["changes-environment"], verify="accelctl doctor --select LIB002"))
        why = f" {res.why[:1].upper()}{res.why[1:]}." if res.why else ""
        yield Hit(
            f"{label} will load {names} from {got} via {via or 'the loader'}, not {want}.{why}",
            subject=f"{label}: {library}",
            evidence=[Evidence("resolved", got, res.source or "loader search order"),
                      Evidence("pinned copy", want.split(", ", 1)[-1].removeprefix("the copies it pins in "),
                               f"found via {res.expected_via}" if res.expected_via else "wheel RUNPATH"),
                      *([Evidence("search step", res.why, res.requested_by or "")] if res.why else []),
                      Evidence("candidates", ", ".join(res.candidates), "")],
            fixes=fixes,
        )


@rule("LIB003", "mixed-cuda-major-wheels", "error", decides_on=("installed NVIDIA wheels",))
def mixed_cuda_major_wheels(ctx: RuleContext) -> Iterator[Hit]:
    """NVIDIA wheels of several CUDA majors are installed in one environment.

    ``nvidia-*-cu11``, ``-cu12`` and ``-cu13`` wheels install into the same
    ``site-packages/nvidia`` tree; with two majors present, which library a
    framework finds depends on install order, and the loser fails with missing
    symbols. Keep the CUDA major of the framework you run and remove the others.
    """
    for env in ctx.inventory.python:
        by_major = wheels_by_cuda_major(env)
        if len(by_major) < 2:
            continue
        keep = _framework_major(env) or max(by_major, key=lambda m: len(by_major[m]))
        remove = sorted(n.split(" ")[0] for m, names in by_major.items() if m != keep for n in names)
        yield Hit(
            f"CUDA {', '.join(sorted(by_major, key=int))} wheels are installed together in {env.prefix}.",
            subject=env.prefix,
            evidence=[Evidence(f"CUDA {m} wheels", ", ".join(sorted(names)), "dist-info") for m, names in sorted(by_major.items())],
            fixes=[_remove_other_majors_step(env, keep, remove)],
        )


def _remove_other_majors_step(env, keep: str, remove: list[str]) -> FixStep:
    """Uninstall the other majors' wheels and put back the files they shared with the wheels that stay."""
    from accelctl.plan.install import framework_check, remove_then_restore, shared_file_survivors

    survivors = [n for n, _ in shared_file_survivors(env, remove)]
    framework = next((fw.name for fw in env.frameworks if fw.runtime_kind == "cuda"), "")
    return FixStep(f"Remove the wheels that are not CUDA {keep}"
                   + (f", then reinstall {', '.join(survivors)} (they share files)" if survivors else ""),
                   commands=[remove_then_restore(env, remove)],
                   why=f"the installed frameworks use CUDA {keep}"
                       + ("; a removed wheel owns files at the same paths as one that stays, so the uninstall deletes "
                          "them and the forced reinstall puts them back" if survivors else ""),
                   risks=["changes-environment", "downloads"] if survivors else ["changes-environment"],
                   verify=framework_check(env, framework) if framework else f"accelctl doctor --select LIB003 --python {env.interpreter}")


def _framework_major(env) -> str:
    for fw in env.frameworks:
        if fw.runtime_kind == "cuda" and fw.runtime_version:
            return fw.runtime_version.split(".")[0]
    return ""
