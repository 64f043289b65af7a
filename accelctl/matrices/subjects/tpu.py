"""TPU runtime pairings: which libtpu a JAX or PyTorch/XLA release installs, and torch_xla <-> torch.

One entry per release of ``jax`` or ``torch-xla``, read from the wheel's
Requires-Dist on PyPI: the ``tpu`` extra pins ``libtpu`` (or the older
``libtpu-nightly``) and ``jaxlib``; torch_xla pairs with the torch of the same
minor release. Used by the TPU rules: installed libtpu vs jax/torch_xla, and
torch vs torch_xla.
"""

from __future__ import annotations

from dataclasses import field

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from accelctl.matrices.base import SPECIFIER, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record

PACKAGES = ("jax", "torch-xla")


@record(frozen=True)
class TpuPairing:
    """One jax or torch-xla release and the TPU runtime pins of its ``tpu`` extra."""

    package: str  # "jax" | "torch-xla"
    version: str = field(metadata={"kind": VERSION})
    libtpu: str | None = field(default=None, metadata={"kind": SPECIFIER})  # "==0.0.17", "==0.0.10.*"
    libtpu_nightly: str | None = field(default=None, metadata={"kind": SPECIFIER})  # "==0.1.dev20240916"
    jaxlib: str | None = field(default=None, metadata={"kind": SPECIFIER})  # jax: tpu extra; torch-xla: pallas extra
    torch: str | None = field(default=None, metadata={"kind": SPECIFIER})  # torch-xla only
    provenance: Provenance = UNSOURCED


def _check(entries: list[TpuPairing], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        if e.package not in PACKAGES:
            errors.add(i, "package", f"must be one of {', '.join(PACKAGES)}")
        key = (e.package, e.version)
        if key in seen:
            errors.add(i, "version", f"duplicate {e.package} {e.version}")
        seen.add(key)
        if e.libtpu is None and e.libtpu_nightly is None:
            errors.add(i, "libtpu", "one of libtpu / libtpu_nightly is required")
        if e.package == "jax" and e.torch is not None:
            errors.add(i, "torch", "only torch-xla entries pair with torch")


SPEC: MatrixSpec[TpuPairing] = MatrixSpec(name="tpu", entry_type=TpuPairing, check=_check, key=lambda e: f"{e.package}=={e.version}")


def find(entries: list[TpuPairing], package: str, version: str) -> TpuPairing | None:
    """The entry for an exact release (normalised: "torch_xla" == "torch-xla")."""
    name = package.strip().lower().replace("_", "-")
    try:
        want = Version(version)
    except InvalidVersion:
        return None
    for e in entries:
        if e.package == name and Version(e.version) == want:
            return e
    return None


def libtpu_ok(entries: list[TpuPairing], package: str, version: str, libtpu_version: str) -> bool | None:
    """Does an installed libtpu (or libtpu-nightly) satisfy the release's ``tpu`` extra pin.

    ``libtpu_version`` like "0.0.17" is checked against ``libtpu``; a
    "0.1.devYYYYMMDD" build against ``libtpu_nightly``. None when the release
    or the relevant pin is unknown. Releases that pin both accept either.
    """
    e = find(entries, package, version)
    if e is None:
        return None
    try:
        v = Version(libtpu_version)
    except InvalidVersion:
        return None
    nightly = v.is_devrelease and v.release[:2] == (0, 1)
    spec = e.libtpu_nightly if nightly else e.libtpu
    if spec is None:
        return False if (e.libtpu or e.libtpu_nightly) else None
    return SpecifierSet(spec).contains(v, prereleases=True)


def torch_for_torch_xla(entries: list[TpuPairing], torch_xla_version: str) -> str | None:
    """The torch specifier a torch_xla release pairs with ("==2.8.*"), or None."""
    e = find(entries, "torch-xla", torch_xla_version)
    return e.torch if e else None


def torch_ok(entries: list[TpuPairing], torch_xla_version: str, torch_version: str) -> bool | None:
    """Is this torch the pairing torch_xla expects (local tags such as "+cpu" ignored)."""
    spec = torch_for_torch_xla(entries, torch_xla_version)
    if spec is None:
        return None
    try:
        v = Version(Version(torch_version).public)
    except InvalidVersion:
        return None
    return SpecifierSet(spec).contains(v, prereleases=True)
