"""Compatibility matrices: discovery, loading and layering of user overrides.

Bundled data lives in the top-level ``matrices/`` folder of the source tree,
shipped inside the wheel as ``accelctl/_matrices``. Users layer their own
folders over it (``--matrices DIR`` or ``ACCELCTL_MATRICES``, several joined
with ``os.pathsep``): an entry whose key matches a bundled entry replaces it,
other entries are added, and the result is validated as a whole.

The bundled files are trusted; a user's folder is checked whole before a command
judges anything with it (``user_matrix_set``): an overlay that cannot be used is
an error naming the file and field, never quietly replaced by the bundled data.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accelctl.errors import InputError, did_you_mean
from accelctl.matrices.errors import MatrixError
from accelctl.record import record

if TYPE_CHECKING:
    from accelctl.matrices.base import Matrix, MatrixSpec

ENV_VAR = "ACCELCTL_MATRICES"
MAX_OVERLAY_BYTES = 4 << 20  # a user's matrix file; the largest bundled one is ~0.3 MiB
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


def subject_names() -> list[str]:
    """The name of every matrix subject, without importing their modules."""
    import pkgutil

    from accelctl.matrices import subjects

    return sorted(info.name for info in pkgutil.iter_modules(subjects.__path__) if not info.name.startswith("_"))


def spec(name: str) -> MatrixSpec:
    try:
        module = importlib.import_module(f"accelctl.matrices.subjects.{name}")
    except (ImportError, ValueError):
        known = subject_names()
        near = did_you_mean(name, known)
        raise MatrixError([f"no matrix subject named {name!r}" + (f"; {near}" if near else f" (known: {', '.join(known)})")],
                          reference="unknown-matrix", hint="`accelctl matrices list` names every matrix") from None
    return module.SPEC


@record
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

    def check_overlays(self) -> None:
        """Load every matrix the overlay folders hold, now; raise one MatrixError with every problem.

        A file that would be skipped (a subject that does not exist, a ``.yml``
        name, something that is not a regular file) is a problem too: the user
        meant it to change the facts.
        """
        if not self.overlays:
            return
        problems: list[str] = []
        files: list[str] = []
        fields: list[str | None] = []
        known = subject_names()
        for folder in self.overlays:
            for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
                problem = _overlay_file_problem(path, known)
                if problem:
                    problems.append(f"{path}: {problem}")
                    files.append(str(path))
                    fields.append(None)
                    continue
                try:
                    self.get(path.stem)
                except MatrixError as exc:
                    problems.extend(exc.problems)
                    files.append(exc.file or str(path))
                    fields.append(exc.field)
        if problems:
            one_file = len(set(files)) == 1
            raise MatrixError(problems, file=files[0] if one_file else None,
                              field=fields[0] if len(problems) == 1 else None)

    def names(self) -> list[str]:
        names: set[str] = set()
        for folder in self.folders():
            names.update(p.stem for p in folder.glob("*.yaml"))
        return sorted(names & set(specs()))

    def _joined(self, name: str) -> list:
        """Another matrix's entries for a join, not kept as loaded: a reader asked for the joined matrix only."""
        if name in self._cache:
            return list(self._cache[name].entries)
        try:
            return list(self._load(name).entries)
        except MatrixError:
            return []

    def _load(self, name: str) -> Matrix:
        subject = spec(name)
        layers: list[tuple[Path, Matrix]] = []
        for folder in self.folders():
            path = folder / f"{name}.yaml"
            if path.is_file():
                trusted = folder == self.folders()[0]
                layers.append((path, load_file(subject, path, trusted and self.use_compiled,
                                               max_bytes=None if trusted else MAX_OVERLAY_BYTES)))
        if not layers:
            raise MatrixError([f"matrix {name!r}: no {name}.yaml in {', '.join(map(str, self.folders()))}"])
        matrix = _layer(subject, layers)
        if subject.join is None:
            return matrix
        import dataclasses

        others = {other: self._joined(other) for other in subject.joins}
        return dataclasses.replace(matrix, entries=subject.join(matrix.entries, others))


def load_file(subject: MatrixSpec, path: Path, use_compiled: bool = False, max_bytes: int | None = None) -> Matrix:
    """Read and validate one matrix file (``max_bytes``: refuse a larger one, for files the user gives).

    A bundled file is read from its compiled JSON twin when the twin was made
    from exactly these bytes (``python -m accelctl.matrices.compile``): YAML
    parsing is the slow part of a doctor run, and the twin was validated when
    it was written.
    """
    from accelctl.matrices.base import parse_matrix, parse_trusted, parse_user_yaml, parse_yaml, yaml_problem

    data = _read(path, max_bytes)
    compiled = read_compiled(path, data) if use_compiled else None
    if compiled is not None:
        return parse_trusted(subject, compiled, str(path))
    import yaml  # type: ignore[import-untyped]

    try:
        raw = parse_yaml(data) if max_bytes is None else parse_user_yaml(data)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:  # report, never a traceback
        problem, where = yaml_problem(exc)
        raise MatrixError([f"{path}: not valid YAML" + (f" at {where}" if where else "") + f": {problem}"],
                          file=str(path), field=where) from None
    return parse_matrix(subject, raw, str(path))


def _read(path: Path, max_bytes: int | None) -> bytes:
    """The file's bytes; MatrixError names the file when it cannot be read.

    A user's file (``max_bytes`` given) is read only when it is a regular file of at
    most ``max_bytes``: a FIFO or a device put where a matrix should be is refused
    instead of blocking the run or filling its memory.
    """
    if max_bytes is None:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise MatrixError([f"{path}: cannot read: {exc.strerror or exc}"], file=str(path)) from None
    from accelctl.bounded import InputFileError, read_regular

    try:
        return read_regular(str(path), max_bytes, "matrix file")
    except InputFileError as exc:
        raise MatrixError([str(exc)], file=str(path)) from None


def _overlay_file_problem(path: Path, known: Sequence[str]) -> str:
    """Why an overlay file would not be read as the user meant, or ''."""
    if path.suffix == ".yml":
        return f"matrices are read from NAME.yaml: rename it {path.stem}.yaml"
    if path.stem not in known:
        near = did_you_mean(path.stem, known)
        return f"no matrix subject named {path.stem!r}" + (f"; {near}" if near else f" (known: {', '.join(known)})")
    if not path.is_file():
        return "not a regular file"
    return ""


def user_matrix_set(overlays: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> MatrixSet:
    """The matrices a command reads: bundled, then ``ACCELCTL_MATRICES``'s folders, then ``--matrices``'s.

    Every overlay file is loaded and validated here, before anything is judged
    with it; a folder that does not exist is an input error too.
    """
    env = os.environ if environ is None else environ
    given = [(p, ENV_VAR) for p in env.get(ENV_VAR, "").split(os.pathsep) if p]
    given += [(p, "--matrices") for p in overlays]
    for folder, where in given:
        if not os.path.isdir(folder):
            raise InputError(f"matrices folder {folder}: not a directory", reference="matrix-folder-missing",
                             file=folder, field=where,
                             hint=f"give a folder of NAME.yaml matrix files in {where}, or leave it out")
    matrices = MatrixSet(overlays=[Path(folder) for folder, _ in given])
    matrices.check_overlays()
    return matrices


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
            raise sink.error()
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


__all__ = ["ENV_VAR", "Matrix", "MatrixError", "MatrixSet", "bundled_dir", "load", "load_file", "spec", "specs",
           "subject_names", "user_matrix_set"]
