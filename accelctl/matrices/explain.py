"""`accelctl matrices explain QUERY`: answer a compatibility question from the matrices, with sources.

Each answer is a dict with ``text`` (for people), ``found`` and the structured
facts (for --json). Queries: ``cuda 12.4``, ``driver 535.104.05``, ``sm_120`` /
``cc 12.0`` / ``gpu RTX 5090``, ``torch 2.5.1``, ``rocm 6.2``, ``jax 0.4.30``, ``vllm 0.25.0``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from packaging.version import InvalidVersion, Version

from accelctl.matrices import MatrixSet
from accelctl.serde import to_data

Answer = dict[str, Any]




def _src(entry: Any) -> str:
    prov = getattr(entry, "provenance", None)
    return f"[{', '.join(prov.source)}; read {prov.read}]" if prov and prov.source else ""


def _v(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def explain_cuda(ms: MatrixSet, version: str) -> Answer:
    from accelctl.matrices.subjects.cuda_arch_support import supported_archs
    from accelctl.matrices.subjects.cuda_minor_compat import for_major
    from accelctl.matrices.subjects.cuda_toolkit import find_release

    rel = find_release(ms.entries_or_empty("cuda_toolkit"), version)
    if rel is None:
        return {"found": False, "text": f"CUDA {version} is not in the cuda_toolkit matrix (accelctl matrices show cuda_toolkit)."}
    v = _v(rel.cuda)
    minor = for_major(ms.entries_or_empty("cuda_minor_compat"), v.major) if v else None
    archs = supported_archs(ms.entries_or_empty("cuda_arch_support"), rel.cuda)
    lines = [f"CUDA {rel.cuda} ({rel.label})",
             (f"  full features need driver >= {rel.min_driver_linux or 'unknown'} on Linux, "
             f">= {rel.min_driver_windows or 'unknown'} on Windows {_src(rel)}")]
    if minor is not None and v is not None:
        lines.append(f"  minor-version compatibility: any CUDA {v.major}.x program runs on driver >= "
                     f"{minor.min_driver_linux or 'unknown'} (Linux) {_src(minor)}")
        lines += [f"    except: {lim.what}" for lim in minor.limits]
    if archs:
        lines.append(f"  can compile for: {', '.join('sm_' + a.replace('.', '') for a in archs)}")
    return {"found": True, "text": "\n".join(lines), "release": to_data(rel), "minor_compat": to_data(minor), "archs": archs}


def explain_driver(ms: MatrixSet, driver: str) -> Answer:
    from accelctl.matrices.base import driver_key
    from accelctl.matrices.subjects.cuda_toolkit import newest_cuda_for_driver

    try:
        driver_key(driver)
    except ValueError:
        return {"found": False, "text": f"{driver!r} is not a driver version like 535.104.05"}
    newest = newest_cuda_for_driver(ms.entries_or_empty("cuda_toolkit"), driver)
    lines = [f"NVIDIA driver {driver}", f"  full support up to CUDA {newest or 'none in the matrix'}"]
    majors = []
    for e in ms.entries_or_empty("cuda_minor_compat"):
        if e.min_driver_linux and driver_key(driver) >= driver_key(e.min_driver_linux):
            majors.append(e.cuda_major)
            lines.append(f"  runs any CUDA {e.cuda_major}.x program under minor-version compatibility (floor {e.min_driver_linux})")
    branch = _driver_branch(ms, driver)
    if branch:
        lines.append(f"  {branch}")
    return {"found": True, "text": "\n".join(lines), "newest_cuda": newest, "minor_compat_majors": majors}


def _driver_branch(ms: MatrixSet, driver: str) -> str:
    for e in ms.entries_or_empty("nvidia_driver_branches"):
        name = str(getattr(e, "branch", ""))
        if name and driver.split(".")[0] == name.lstrip("R"):
            fields = {k: v for k, v in to_data(e).items() if k != "provenance" and v not in (None, "", [], {})}
            return "branch " + ", ".join(f"{k}={v}" for k, v in fields.items()) + f" {_src(e)}"
    return ""


def explain_cc(ms: MatrixSet, cc: str, gpu: str | None = None) -> Answer:
    from accelctl.matrices.subjects.cuda_toolkit import gpu_min_driver as toolkit_gpu_min_driver
    from accelctl.matrices.subjects.pytorch import supports_cc

    arch = next((e for e in ms.entries_or_empty("cuda_arch_support") if e.cc == cc), None)
    builds = ms.entries_or_empty("pytorch")
    runs = [b for b in builds if supports_cc(b, cc) is True]
    unknown = [b for b in builds if b.runtime_kind == "cuda" and supports_cc(b, cc) is None]
    title = f"{gpu} (compute capability {cc}, sm_{cc.replace('.', '')})" if gpu else f"sm_{cc.replace('.', '')} (compute capability {cc})"
    lines = [title]
    if arch:
        lines.append(f"  CUDA can target it from {arch.first_cuda or '?'}"
                     + (f", deprecated in {arch.deprecated_cuda}" if arch.deprecated_cuda else "")
                     + (f", dropped in {arch.dropped_cuda}" if arch.dropped_cuda else "") + f" {_src(arch)}")
    floor = toolkit_gpu_min_driver(ms.entries_or_empty("cuda_toolkit"), ms.entries_or_empty("cuda_arch_support"), cc)
    if floor:
        lines.append(f"  needs an NVIDIA driver >= {floor} (the driver of the first CUDA that targets it)")
    lines.append(f"  torch builds with kernels for it ({len(runs)}, Linux x86_64 wheels): "
                 + (", ".join(f"{b.torch}+{b.variant}" for b in runs[:40]) or "none recorded")
                 + (" ..." if len(runs) > 40 else ""))
    arm = [b for b in builds if b.arch_list_aarch64 is not None]
    if arm:
        arm_runs = [f"{b.torch}+{b.variant}" for b in arm if supports_cc(b, cc, "aarch64") is True]
        lines.append(f"  on Linux aarch64 (the {len(arm)} builds whose aarch64 wheels were read): "
                     + (", ".join(arm_runs) or "none of them"))
    if unknown:
        lines.append(f"  torch builds whose architecture list is not recorded: {len(unknown)}")
    return {"found": bool(arch or runs), "text": "\n".join(lines), "cc": cc,
            "torch_builds": [f"{b.torch}+{b.variant}" for b in runs], "unverified": [f"{b.torch}+{b.variant}" for b in unknown]}


def explain_gpu(ms: MatrixSet, name: str) -> Answer:
    try:
        from accelctl.matrices.subjects import nvidia_gpus
    except ImportError:
        return {"found": False, "text": "no GPU matrix is installed"}
    entries = ms.entries_or_empty("nvidia_gpus")
    cc = nvidia_gpus.cc_for_name(entries, name)
    found = nvidia_gpus.candidates(entries, name)
    if cc is None:
        text = f"GPU {name!r}: compute capability unknown."
        if found:
            text += " Models of that name: " + "; ".join(f"{e.model}: {e.cc or 'unknown'} {_src(e)}" for e in found[:8])
        else:
            text += " Not in the nvidia_gpus matrix (accelctl matrices show nvidia_gpus); a PCI device id also works."
        return {"found": False, "text": text, "gpus": [to_data(e) for e in found[:8]]}
    ans = explain_cc(ms, cc, name)
    lines = [ans["text"].split("\n")[0]]
    by_id = nvidia_gpus.by_pci_device_id(entries, name)
    for e in (found or ([by_id] if by_id else []))[:4]:
        facts = [f for f in (e.architecture, e.chip and f"chip {e.chip}", e.pci_device_ids and "PCI " + ", ".join(e.pci_device_ids)) if f]
        lines.append(f"  {e.model}: {cc}" + (f" ({'; '.join(facts)})" if facts else "") + f" {_src(e)}")
        if e.provenance.note:
            lines.append(f"    {e.provenance.note}")
    ans["text"] = "\n".join(lines + ans["text"].split("\n")[1:])
    ans["gpu"] = to_data(found[0]) if found else None
    return ans


def explain_torch(ms: MatrixSet, version: str) -> Answer:
    from accelctl.matrices.subjects import torch_companions
    from accelctl.matrices.subjects.pytorch import split_local, variants_for

    builds = variants_for(ms.entries_or_empty("pytorch"), version)
    public, _ = split_local(version)
    archs = [a for a in ms.entries_or_empty("torch_archs") if _v(a.torch) is not None and _v(a.torch) == _v(public)]
    if not builds and not archs:
        return {"found": False, "text": f"torch {version} is not in the pytorch matrix."}
    comp = torch_companions.companions_for(ms.entries_or_empty("torch_companions"), version)
    targets = ms.entries_or_empty("cuda_arch_support")

    def bound(variant: str) -> str:
        return _cuda_bound(targets, variant)

    lines = [f"torch {builds[0].torch if builds else public}: {len(builds)} builds"]
    for b in builds:
        default = [p for p in ("x86_64", "aarch64") if getattr(b, f"pypi_default_linux_{p}")]
        lines.append(f"  +{b.variant}: {b.runtime_kind} {b.runtime_version or ''}".rstrip()
                     + f"; Python {b.python or '?'}; index {b.index_url}"
                     + (f"; PyPI default on {', '.join(default)}" if default else "")
                     + (f"; {b.manylinux}" if b.manylinux else ""))
        lines += _arch_lines(b, [a for a in archs if a.variant == b.variant], bound)
        if b.pins:
            lines.append("      pins: " + ", ".join(f"{k}=={v}" if v[:1].isdigit() else f"{k}{v}" for k, v in sorted(b.pins.items())))
    known = {b.variant for b in builds}
    extra = sorted({a.variant for a in archs if a.variant not in known})
    if extra:
        lines.append(f"  builds known only from PyTorch's build scripts and install page: {', '.join('+' + v for v in extra)}")
        for variant in extra:
            for a in (a for a in archs if a.variant == variant):
                text = _list_text(a.arch_list, a.ptx, a.gfx_list)
                why = f" ({a.provenance.note})" if text == "unknown" and a.provenance.note else ""
                lines.append(f"  +{variant} ({a.platform}): {text} {_src(a)}{why}" + (bound(variant) if text == "unknown" else ""))
    if comp:
        lines.append(f"  torchvision {', '.join(comp.torchvision) or 'none recorded'}; torchaudio {', '.join(comp.torchaudio) or 'none recorded'}")
    return {"found": True, "text": "\n".join(lines), "builds": to_data(builds), "archs": to_data(archs),
            "companions": to_data(comp)}


def _list_text(sass: list[str] | None, ptx: list[str] | None, gfx: list[str] | None) -> str:
    if gfx is not None:
        return "gfx " + ", ".join(gfx)
    if sass is None:
        return "unknown"
    return ", ".join(sass) + (f"; PTX {', '.join(ptx)}" if ptx else "; PTX unknown" if ptx is None else "")


def _cuda_bound(targets: list[Any], variant: str) -> str:
    """"; derived bound: ..." for a CUDA variant ("cu128"): what its compiler can target at all."""
    from accelctl.matrices.subjects.cuda_arch_support import archs_possible

    m = re.fullmatch(r"cu(\d+)(\d)", variant)
    found = archs_possible(targets, f"{m.group(1)}.{m.group(2)}") if m else None
    if found is None:
        return ""
    return (f"; derived bound: a CUDA {m.group(1)}.{m.group(2)} build can only hold code for {found[0]} to {found[1]} "
            "[cuda_arch_support]") if m else ""


def _arch_lines(b: Any, archs: list[Any], bound: Callable[[str], str]) -> list[str]:
    """The build's compiled architectures per platform, each with where it was read."""
    if b.runtime_kind not in ("cuda", "rocm"):
        return []
    out = []
    for platform, sass, ptx in (("x86_64", b.arch_list, b.ptx), ("aarch64", b.arch_list_aarch64, b.ptx_aarch64)):
        script = next((a for a in archs if a.platform == platform), None)
        gfx = b.gfx_list if platform == "x86_64" and b.runtime_kind == "rocm" else None
        if sass is None and gfx is None and script is None:
            continue
        label = "gfx" if b.runtime_kind == "rocm" else "archs"
        text = _list_text(sass, ptx, gfx) if (sass is not None or gfx is not None) else "unknown"
        from_script = script is not None and (script.arch_list == sass if b.runtime_kind == "cuda" else script.gfx_list == gfx)
        where = _src(script) if script is not None and (from_script or text == "unknown") else _src(b)
        why = f" ({script.provenance.note})" if text == "unknown" and script is not None and script.provenance.note else ""
        lines_label = f"      {label}" + (" (aarch64 wheel)" if platform == "aarch64" else "")
        derived = bound(b.variant) if text == "unknown" and b.runtime_kind == "cuda" else ""
        out.append(f"{lines_label}: {text.removeprefix('gfx ')} {where}{why}{derived}")
    return out


def explain_rocm(ms: MatrixSet, version: str) -> Answer:
    entries = ms.entries_or_empty("rocm")
    rel = next((e for e in entries if str(getattr(e, "rocm", "")) == version), None)
    if rel is None:
        rel = next((e for e in entries if str(getattr(e, "rocm", "")).startswith(version + ".")), None)
    if rel is None:
        return {"found": False, "text": f"ROCm {version} is not in the rocm matrix."}
    fields = {k: v for k, v in to_data(rel).items() if k != "provenance" and v not in (None, "", [], {})}
    lines = [f"ROCm {getattr(rel, 'rocm', version)} {_src(rel)}"] + [f"  {k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                                                                  for k, v in fields.items() if k != "rocm"]
    builds = [b for b in ms.entries_or_empty("pytorch") if b.runtime_kind == "rocm" and b.runtime_version
              and (b.runtime_version == version or b.runtime_version.startswith(version + "."))]
    if builds:
        lines.append("  torch builds: " + ", ".join(f"{b.torch}+{b.variant}" for b in builds))
    return {"found": True, "text": "\n".join(lines), "release": fields, "torch_builds": [f"{b.torch}+{b.variant}" for b in builds]}


def _generic(name: str, key: str) -> Callable[[MatrixSet, str], Answer]:
    def explain(ms: MatrixSet, version: str) -> Answer:
        for e in ms.entries_or_empty(name):
            if str(getattr(e, key, "")) == version:
                fields = {k: v for k, v in to_data(e).items() if k != "provenance" and v not in (None, "", [], {})}
                text = f"{name} {version} {_src(e)}\n" + "\n".join(f"  {k}: {v}" for k, v in fields.items() if k != key)
                return {"found": True, "text": text, "entry": fields}
        return {"found": False, "text": f"{name} {version} is not in the {name} matrix."}

    return explain


def explain_cudnn(ms: MatrixSet, version: str) -> Answer:
    """The lowest compute capability a cuDNN release supports, per CUDA major build, with the bound's source."""
    from accelctl.matrices.subjects import cudnn_support

    entries = ms.entries_or_empty("cudnn_support")
    majors = sorted({e.cuda_major for e in entries if e.library == "cudnn"}, reverse=True)
    lines, found = [], False
    want = _v(version)
    newest = {m: max(Version(e.version) for e in entries if e.library == "cudnn" and e.cuda_major == m) for m in majors}
    for major in majors:
        # a build the releases read after its newest one no longer list was not shipped for this release
        if want is not None and want > newest[major] and any(n > newest[major] for n in newest.values()):
            continue
        # nor was one whose first recorded cuDNN major is newer (no cuDNN 8 for CUDA 13)
        if want is not None and want.major < min(Version(e.version).major for e in entries
                                                 if e.library == "cudnn" and e.cuda_major == major):
            continue
        bounds = cudnn_support.floor(entries, "cudnn", version, major)
        if bounds is None:
            return {"found": False, "text": f"not a cuDNN version: {version!r}"}
        if bounds.low is None and bounds.high is None:
            continue
        found = True
        floor = bounds.low if bounds.exact else f"between {bounds.low or 'unknown'} and {bounds.high or 'unknown'}"
        sources = ", ".join(sorted({s for e in bounds.entries for s in e.provenance.source[:1]}))
        lines.append(f"  CUDA {major} build: lowest compute capability {floor} ({bounds.basis}) [{sources}]")
    if not found:
        return {"found": False, "text": f"cuDNN {version} is not in the cudnn_support matrix."}
    return {"found": True, "text": f"cuDNN {version}\n" + "\n".join(lines)}


def explain_tpu(ms: MatrixSet, query: str) -> Answer:
    """The libtpu (and jaxlib, torch) a jax or torch-xla release pairs with on TPUs: 'tpu jax 0.4.30'."""
    from accelctl.matrices.subjects import tpu

    package, _, version = query.partition(" ")
    e = tpu.find(ms.entries_or_empty("tpu"), package, version.strip())
    if e is None:
        return {"found": False, "text": f"{query} is not in the tpu matrix (try 'tpu jax 0.4.30' or 'tpu torch-xla 2.5.0')."}
    fields = {k: v for k, v in to_data(e).items() if k not in ("provenance", "package", "version") and v}
    return {"found": True, "text": f"{e.package} {e.version} on TPU {_src(e)}\n"
                                   + "\n".join(f"  {k}: {v}" for k, v in fields.items()), "entry": fields}


_HANDLERS: dict[str, Callable[[MatrixSet, str], Answer]] = {
    "cuda": explain_cuda, "driver": explain_driver, "torch": explain_torch, "pytorch": explain_torch,
    "rocm": explain_rocm, "gpu": explain_gpu, "cc": lambda ms, v: explain_cc(ms, v),
    "jax": _generic("jax", "jax"), "vllm": _generic("vllm", "vllm"), "tensorflow": _generic("tensorflow", "tensorflow"),
    "cudnn": explain_cudnn,
    # what an Intel Gaudi software or AWS Neuron SDK release ships and supports (torch, driver, firmware, OS)
    "gaudi": _generic("gaudi", "gaudi_sw"), "neuron": _generic("neuron", "neuron"), "tpu": explain_tpu,
}


def answer(query: str, ms: MatrixSet) -> Answer:
    q = query.strip()
    m = re.fullmatch(r"(?i)sm_?(\d+)(\d)([af]?)", q)
    if m:
        return explain_cc(ms, f"{m.group(1)}.{m.group(2)}{m.group(3)}")
    word, _, rest = q.partition(" ")
    handler = _HANDLERS.get(word.lower())
    if handler and rest.strip():
        return handler(ms, rest.strip())
    if re.fullmatch(r"\d+\.\d+\.\d+", q) and int(q.split(".")[0]) >= 300:
        return explain_driver(ms, q)
    return {"found": False, "text": (f"cannot read the query {query!r}. Try: 'cuda 12.4', 'driver 535.104.05', 'sm_120', "
                                     "'gpu NVIDIA H100 80GB HBM3', 'torch 2.5.1', 'rocm 6.2', 'jax 0.4.30', 'vllm 0.25.0', 'cudnn 9.13.0', "
                                     "'gaudi 1.21.0', 'neuron 2.28.1'.")}


def all_queries(ms: MatrixSet) -> list[str]:
    """Every query the matrices can answer (for tests and documentation)."""
    out = [f"cuda {e.cuda}" for e in ms.entries_or_empty("cuda_toolkit")]
    out += [f"torch {t}" for t in sorted({e.torch for e in ms.entries_or_empty("pytorch")}, key=Version)]
    out += [f"rocm {e.rocm}" for e in ms.entries_or_empty("rocm") if getattr(e, "rocm", None)]
    return out
