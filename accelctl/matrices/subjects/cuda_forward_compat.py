"""CUDA forward compatibility: running a newer CUDA on an older driver via cuda-compat.

The ``cuda-compat-<major>-<minor>`` package ships the user-mode driver
(``libcuda.so`` and friends) of a newer driver branch; loaded in front of the
system's libcuda it lets an older kernel-mode driver run a newer CUDA. NVIDIA
supports this only on some GPUs and only for certain package / driver-branch
pairs. Entries come in three kinds:

- ``package``: one cuda-compat package and, per driver branch of NVIDIA's
  table, whether it is compatible (C), not applicable (N/A: the branch the
  package was built from, nothing to add) or not compatible (X). Branches not
  in the table are end of life or New Feature Branches: not supported targets.
- ``eligibility``: which GPU segments may use forward compatibility at all.
- ``feature``: driver features that stay unavailable under a compat package.

Used by the driver rules (compat-libcuda checks) through ``may_use_compat``.
"""

from __future__ import annotations

import re
from dataclasses import field

from packaging.version import InvalidVersion, Version

from accelctl.matrices.base import UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record

KINDS = ("package", "eligibility", "feature")
# GPU segments the rules speak of. "rtx-ngc-server-ready": RTX cards of the select NGC Server Ready SKUs.
SEGMENTS = ("datacenter", "rtx-ngc-server-ready", "jetson", "workstation", "geforce")
VERDICTS = ("compatible", "not-needed", "incompatible", "branch-not-supported", "gpu-not-eligible",
            "gpu-not-supported-by-cuda", "unknown")


@record(frozen=True)
class ForwardCompatEntry:
    """A forward-compatibility fact: a package's branch table, GPU eligibility, or a feature exception."""

    kind: str
    # kind == "package"
    package: str | None = None  # "cuda-compat-13-4"
    cuda: str | None = field(default=None, metadata={"kind": VERSION})  # highest toolkit it supports: "13.4"
    built_from_branch: int | None = None  # driver branch its libraries come from (615 for cuda-compat-13-4)
    compatible_branches: list[int] = field(default_factory=list)  # C
    not_applicable_branches: list[int] = field(default_factory=list)  # N/A
    incompatible_branches: list[int] = field(default_factory=list)  # X
    # kind == "eligibility"
    segments: list[str] = field(default_factory=list)  # segments allowed to use forward compatibility
    # kind == "feature"
    cuda_major: int | None = None  # cuda-compat-<major>-x packages this applies to
    min_base_branch: int | None = None  # "System Base Installation: >= rNNN Driver"
    feature: str | None = None
    supported: bool | None = None
    condition: str | None = None  # what must hold for "supported"
    provenance: Provenance = UNSOURCED


def _key(e: ForwardCompatEntry) -> str:
    if e.kind == "package":
        return str(e.package)
    if e.kind == "feature":
        return f"feature:{e.cuda_major}:{e.feature}"
    return e.kind


def _check(entries: list[ForwardCompatEntry], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        if e.kind not in KINDS:
            errors.add(i, "kind", f"must be one of {', '.join(KINDS)}")
            continue
        k = _key(e)
        if k in seen:
            errors.add(i, None, f"duplicate entry {k}")
        seen.add(k)
        if e.kind == "package":
            if not e.package or not e.cuda:
                errors.add(i, "package", "a package entry needs 'package' and 'cuda'")
                continue
            v = Version(e.cuda)
            if e.package != f"cuda-compat-{v.major}-{v.minor}":
                errors.add(i, "package", f"name does not match cuda {e.cuda}")
            cells = [*e.compatible_branches, *e.not_applicable_branches, *e.incompatible_branches]
            if len(cells) != len(set(cells)):
                errors.add(i, None, "a driver branch is listed in two columns")
        elif e.kind == "eligibility":
            bad = [s for s in e.segments if s not in SEGMENTS]
            if bad or not e.segments:
                errors.add(i, "segments", f"segments must be among {', '.join(SEGMENTS)}")
        elif e.kind == "feature" and (e.cuda_major is None or not e.feature or e.supported is None):
            errors.add(i, None, "a feature entry needs cuda_major, feature and supported")
    if not any(e.kind == "eligibility" for e in entries):
        errors.add(None, "entries", "one 'eligibility' entry is required")


SPEC: MatrixSpec[ForwardCompatEntry] = MatrixSpec(name="cuda_forward_compat", entry_type=ForwardCompatEntry, check=_check, key=_key)


@record(frozen=True)
class CompatVerdict:
    """Answer of ``may_use_compat``: a status from VERDICTS and the reason in words."""

    status: str
    reason: str

    @property
    def ok(self) -> bool:
        return self.status in ("compatible", "not-needed")


# Name patterns for ``gpu_segment``: a heuristic over marketing names, not NVIDIA data.
_DATACENTER = re.compile(
    r"\b(tesla|a2|a10g?|a16|a30|a40|a100|a800|h20|h100|h200|h800|b100|b200|b300|gh200|gb200|gb300"
    r"|l4|l20|l40s?|t4|v100|p100|p40|p4|k40|k80|m10|m40|m60)\b|\bhgx\b|\bdgx\b",
    re.IGNORECASE,
)


def gpu_segment(name: str) -> str | None:
    """Guess the segment of a GPU from its name (as nvidia-smi prints it); None when unclear.

    A heuristic over NVIDIA's naming: "GeForce"/"TITAN" -> geforce, "Jetson"/"Orin"/"Thor"
    -> jetson, "Quadro"/"RTX Axxxx"/"RTX PRO" workstation cards -> workstation, Tesla and
    a list of data-center model names (A100, H100, L40S, T4, ...) -> datacenter. Whether an
    RTX card is an NGC Server Ready SKU cannot be told from its name: pass ``segment``.
    """
    n = " ".join(name.replace("NVIDIA", " ").split())
    low = n.lower()
    if "geforce" in low or "titan" in low:
        return "geforce"
    if any(w in low for w in ("jetson", "orin", "thor", "xavier")):
        return "jetson"
    if "server edition" in low:
        return "datacenter"
    if "quadro" in low or re.search(r"\brtx\b", low):
        return "workstation"
    if _DATACENTER.search(n):
        return "datacenter"
    return None


def _branch(driver: str) -> int | None:
    m = re.match(r"^[rR]?(\d+)", driver.strip())
    return int(m.group(1)) if m else None


def packages(entries: list[ForwardCompatEntry]) -> list[ForwardCompatEntry]:
    return [e for e in entries if e.kind == "package"]


def listed_branches(entries: list[ForwardCompatEntry]) -> list[int]:
    """Driver branches NVIDIA's table covers (others are end of life or feature branches)."""
    out: set[int] = set()
    for e in packages(entries):
        out.update(e.compatible_branches, e.not_applicable_branches, e.incompatible_branches)
    return sorted(out)


def feature_exceptions(entries: list[ForwardCompatEntry], cuda_major: int) -> list[ForwardCompatEntry]:
    """Feature entries that apply to cuda-compat packages of one CUDA major."""
    return [e for e in entries if e.kind == "feature" and e.cuda_major == cuda_major]


def may_use_compat(
    entries: list[ForwardCompatEntry],
    compat_cuda: str,
    driver: str,
    gpu_name: str | None = None,
    segment: str | None = None,
    cc: str | None = None,
    arch_entries: list | None = None,
) -> CompatVerdict:
    """May this GPU use the cuda-compat libcuda of CUDA ``compat_cuda`` ("13.4") on driver ``driver``?

    ``driver`` is the installed kernel-mode driver ("535.104.05", or a branch "535"/"R535").
    The GPU is named by ``segment`` (one of SEGMENTS) or else by ``gpu_name`` (see
    ``gpu_segment``; a workstation/RTX name stays undecided, as only select NGC Server Ready
    RTX SKUs qualify). With ``cc`` and the ``cuda_arch_support`` entries in ``arch_entries``,
    a GPU that the package's CUDA no longer (or not yet) supports is reported too.
    """
    try:
        want = Version(compat_cuda.strip())
    except InvalidVersion:
        return CompatVerdict("unknown", f"not a CUDA version: {compat_cuda!r}")
    seg = segment or (gpu_segment(gpu_name) if gpu_name else None)
    if segment is None and seg == "workstation":
        seg = None  # an RTX card may be an NGC Server Ready SKU: the name cannot tell
    elig = next((e for e in entries if e.kind == "eligibility"), None)
    if seg is not None and elig is not None and seg not in elig.segments:
        what = gpu_name or seg
        return CompatVerdict(
            "gpu-not-eligible",
            f"forward compatibility is supported only on {', '.join(elig.segments)} GPUs; {what} is {seg}",
        )
    if cc and arch_entries is not None:
        from accelctl.matrices.subjects.cuda_arch_support import status as arch_status

        st = arch_status(arch_entries, cc, f"{want.major}.{want.minor}")
        if st in ("dropped", "too-new"):
            return CompatVerdict(
                "gpu-not-supported-by-cuda", f"CUDA {want.major}.{want.minor} does not support compute capability {cc} ({st})"
            )
    branch = _branch(driver)
    if branch is None:
        return CompatVerdict("unknown", f"not a driver version: {driver!r}")
    pkg = next((e for e in packages(entries) if Version(e.cuda or "0") == Version(f"{want.major}.{want.minor}")), None)
    if pkg is None:
        return CompatVerdict("unknown", f"no cuda-compat-{want.major}-{want.minor} in the matrix")
    if branch in pkg.not_applicable_branches:
        verdict = CompatVerdict("not-needed", f"{pkg.package} belongs to driver branch {branch}: no compat package needed")
    elif branch in pkg.compatible_branches:
        verdict = CompatVerdict("compatible", f"{pkg.package} is supported on driver branch {branch}")
    elif branch in pkg.incompatible_branches:
        verdict = CompatVerdict("incompatible", f"NVIDIA provides no {pkg.package} for driver branch {branch}")
    else:
        verdict = CompatVerdict(
            "branch-not-supported",
            f"driver branch {branch} is not in NVIDIA's forward-compatibility table "
            "(end of life, or a New Feature Branch): not a supported target",
        )
    if verdict.ok and seg is None and elig is not None:
        return CompatVerdict("unknown", verdict.reason + f"; but the GPU segment is unknown (needs {', '.join(elig.segments)})")
    return verdict
