"""Compatibility matrices: discovery, loading and layering of user overrides.

Bundled data lives in the top-level ``matrices/`` folder of the source tree,
shipped inside the wheel as ``accelctl/_matrices``. Users layer their own
folders over it (``--matrices DIR`` or ``ACCELCTL_MATRICES``, several joined
with ``os.pathsep``): an entry whose key matches a bundled entry replaces it,
other entries are added, and the result is validated as a whole.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accelctl.matrices.errors import MatrixError

if TYPE_CHECKING:
    from accelctl.matrices.base import Matrix, MatrixSpec

ENV_VAR = "ACCELCTL_MATRICES"
# Names this package offers from accelctl.matrices.base, imported on first use: base brings packaging's
# specifiers, which only loading a matrix needs (catching MatrixError or making a MatrixSet does not).
_FROM_BASE = ("Matrix", "MatrixSpec", "parse_matrix", "parse_trusted", "parse_yaml")


def __getattr__(name: str) -> Any:
    if name in _FROM_BASE:
        from accelctl.matrices import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def bundled_dir() -> Path:
    """The folder of bundled matrices, installed or in a source checkout."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "_matrices"
    return installed if installed.is_dir() else here.parent / "matrices"


def specs() -> dict[str, MatrixSpec]:
    """Every subject module's SPEC, by name (modules are imported on demand)."""
    from accelctl.matrices import subjects
    from accelctl.matrices.base import MatrixSpec

    found: dict[str, MatrixSpec] = {}
    import pkgutil  # only for listing every subject (matrices list/validate), never in doctor

    for info in pkgutil.iter_modules(subjects.__path__):
        module = importlib.import_module(f"{subjects.__name__}.{info.name}")
        spec = getattr(module, "SPEC", None)
        if isinstance(spec, MatrixSpec):
            found[spec.name] = spec
    return found


def spec(name: str) -> MatrixSpec:
    try:
        module = importlib.import_module(f"accelctl.matrices.subjects.{name}")
    except ImportError:
        raise MatrixError([f"no matrix subject named {name!r} (known: {', '.join(sorted(specs()))})"]) from None
    return module.SPEC


@dataclass
class MatrixSet:
    """Loads matrices on first use, layering user folders over the bundled one.

    One instance per command run; nothing global, so tests pick their folders.
    """

    overlays: Sequence[Path] = ()
    base: Path | None = None
    use_compiled: bool = True  # False: always parse and fully validate the YAML (``matrices validate``)
    _cache: dict[str, Matrix] = field(default_factory=dict)

    def folders(self) -> list[Path]:
        return [self.base or bundled_dir(), *self.overlays]

    def get(self, name: str) -> Matrix:
        if name not in self._cache:
            self._cache[name] = self._load(name)
        return self._cache[name]

    def entries(self, name: str) -> list:
        return self.get(name).entries

    def entries_or_empty(self, name: str) -> list:
        """The entries, or [] when the matrix is missing or broken (callers then treat facts as unknown)."""
        try:
            return list(self.get(name).entries)
        except MatrixError:
            return []

    def loaded(self) -> dict[str, Matrix]:
        """The matrices loaded so far, by name."""
        return dict(self._cache)

    def names(self) -> list[str]:
        names = set()
        for folder in self.folders():
            names.update(p.stem for p in folder.glob("*.yaml"))
        return sorted(names & set(specs()))

    def _load(self, name: str) -> Matrix:
        subject = spec(name)
        layers: list[tuple[Path, Matrix]] = []
        for folder in self.folders():
            path = folder / f"{name}.yaml"
            if path.is_file():
                trusted = self.use_compiled and folder == self.folders()[0]
                layers.append((path, load_file(subject, path, trusted)))
        if not layers:
            raise MatrixError([f"matrix {name!r}: no {name}.yaml in {', '.join(map(str, self.folders()))}"])
        return _layer(subject, layers)


def load_file(subject: MatrixSpec, path: Path, use_compiled: bool = False) -> Matrix:
    """Read and validate one matrix file.

    A bundled file is read from its compiled JSON twin when the twin was made
    from exactly these bytes (``python -m accelctl.matrices.compile``): YAML
    parsing is the slow part of a doctor run, and the twin was validated when
    it was written.
    """
    from accelctl.matrices.base import parse_matrix, parse_trusted, parse_yaml

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MatrixError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    compiled = read_compiled(path, data) if use_compiled else None
    if compiled is not None:
        return parse_trusted(subject, compiled, str(path))
    try:
        raw = parse_yaml(data)
    except Exception as exc:  # noqa: BLE001 - yaml.YAMLError and friends: report, never a traceback
        raise MatrixError([f"{path}: not valid YAML: {exc}"]) from None
    return parse_matrix(subject, raw, str(path))


COMPILED_DIR = "_compiled"


def source_fingerprint(data: bytes) -> str:
    """What a compiled twin records of the YAML it was made from, to tell when it is stale.

    A checksum, not a security hash: the bundled folder is trusted, and zlib costs
    nothing to import where hashlib loads OpenSSL.
    """
    import zlib

    return f"crc32:{zlib.crc32(data):08x}:{len(data)}"


def read_compiled(path: Path, data: bytes) -> dict | None:
    import json

    twin = path.parent / COMPILED_DIR / (path.stem + ".json")
    try:
        with open(twin, "rb") as fh:
            doc = json.loads(fh.read())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("source") != source_fingerprint(data):
        return None
    return doc.get("data")


def _layer(subject: MatrixSpec, layers: list[tuple[Path, Matrix]]) -> Matrix:
    if len(layers) == 1:
        return layers[0][1]
    merged: dict[str, object] = {}
    for _, matrix in layers:
        for entry in matrix.entries:
            merged[str(subject.key(entry))] = entry
    top = layers[-1][1]
    entries = list(merged.values())
    from accelctl.matrices.base import ErrorSink, Matrix

    if subject.check is not None:

        sink = ErrorSink(" + ".join(str(p) for p, _ in layers), [str(subject.key(e)) for e in entries])
        subject.check(entries, sink)
        if sink.problems:
            raise MatrixError(sink.problems)
    return Matrix(
        name=top.name,
        version=top.version,
        updated=max(m.updated for _, m in layers),
        description=layers[0][1].description,
        path=" + ".join(str(p) for p, _ in layers),
        entries=entries,
    )


def load(name: str, overlays: Sequence[Path] = ()) -> Matrix:
    """Load one matrix (convenience for tests and one-off use)."""
    return MatrixSet(overlays=overlays).get(name)


__all__ = ["ENV_VAR", "Matrix", "MatrixError", "MatrixSet", "bundled_dir", "load", "load_file", "spec", "specs"]
