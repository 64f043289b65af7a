"""TensorFlow: tested Linux GPU build configurations and the ``[and-cuda]`` pins.

Two kinds of entries share the file, one per TensorFlow release:
- rows of the "Tested build configurations / Linux / GPU" table of
  tensorflow.org/install/source (python range, compiler, Bazel, cuDNN, CUDA);
- for releases that have the ``and-cuda`` extra (2.14 and later), the NVIDIA
  wheel pins of that extra as read from the wheel METADATA.
Patch releases that are not table rows carry only their pins; query helpers
fall back to the table row of the same minor series. Used by the framework
rules that compare TensorFlow with the node's CUDA/cuDNN and pip NVIDIA wheels.
"""

from __future__ import annotations

from dataclasses import field

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from accelctl.matrices.base import SPECIFIER, UNSOURCED, VERSION, ErrorSink, MatrixSpec, Provenance
from accelctl.record import record


@record(frozen=True)
class TensorFlowRelease:
    """One TensorFlow release: its tested GPU build configuration and/or its and-cuda pins."""

    tensorflow: str = field(metadata={"kind": VERSION})
    tested: bool = False  # True when this version is a row of the tested GPU build configurations table
    python_min: str | None = field(default=None, metadata={"kind": VERSION})  # table "Python version" low end
    python_max: str | None = field(default=None, metadata={"kind": VERSION})  # table "Python version" high end
    compiler: str | None = None  # e.g. "Clang 18.1.8"
    build_tools: str | None = None  # e.g. "Bazel 7.4.1"
    cudnn: str | None = field(default=None, metadata={"kind": VERSION})  # table cuDNN column
    cuda: str | None = field(default=None, metadata={"kind": VERSION})  # table CUDA column
    requires_python: str | None = field(default=None, metadata={"kind": SPECIFIER})  # wheel Requires-Python
    # nvidia-* requirements of the and-cuda extra (package -> specifier); empty when the release has no such extra.
    and_cuda: dict[str, str] = field(default_factory=dict)
    provenance: Provenance = UNSOURCED


def _check(entries: list[TensorFlowRelease], errors: ErrorSink) -> None:
    seen = set()
    for i, e in enumerate(entries):
        v = Version(e.tensorflow)
        if v in seen:
            errors.add(i, "tensorflow", f"duplicate release {e.tensorflow}")
        seen.add(v)
        if e.tested and (e.cuda is None or e.cudnn is None or e.python_min is None or e.python_max is None):
            errors.add(i, "tested", "a tested-configuration row needs python_min, python_max, cuda and cudnn")
        if e.python_min and e.python_max and Version(e.python_min) > Version(e.python_max):
            errors.add(i, "python_min", f"{e.python_min} is above python_max {e.python_max}")
        for name, spec in e.and_cuda.items():
            try:
                SpecifierSet(spec)
            except (InvalidSpecifier, TypeError):
                errors.add(i, f"and_cuda.{name}", f"not a version specifier: {spec!r}")


SPEC: MatrixSpec[TensorFlowRelease] = MatrixSpec(name="tensorflow", entry_type=TensorFlowRelease, check=_check, key=lambda e: e.tensorflow)


def _minor(v: str) -> tuple:
    r = Version(v).release
    return (r[0], r[1] if len(r) > 1 else 0)


def release(entries: list[TensorFlowRelease], tensorflow: str) -> TensorFlowRelease | None:
    """The entry for exactly this TensorFlow version, or None."""
    want = Version(tensorflow)
    for e in entries:
        if Version(e.tensorflow) == want:
            return e
    return None


def tested_config(entries: list[TensorFlowRelease], tensorflow: str) -> TensorFlowRelease | None:
    """The tested GPU build configuration for ``tensorflow``: its own row, else the row of its minor series."""
    own = release(entries, tensorflow)
    if own is not None and own.tested:
        return own
    rows = [e for e in entries if e.tested and _minor(e.tensorflow) == _minor(tensorflow)]
    rows.sort(key=lambda e: Version(e.tensorflow))
    older = [e for e in rows if Version(e.tensorflow) <= Version(tensorflow)]
    chosen = older or rows
    return chosen[-1] if chosen else None


def cuda_for(entries: list[TensorFlowRelease], tensorflow: str) -> str | None:
    """The CUDA version TensorFlow was tested with (e.g. "12.5"), or None when unknown."""
    row = tested_config(entries, tensorflow)
    return row.cuda if row else None


def cudnn_for(entries: list[TensorFlowRelease], tensorflow: str) -> str | None:
    """The cuDNN version TensorFlow was tested with (e.g. "9.3"), or None when unknown."""
    row = tested_config(entries, tensorflow)
    return row.cudnn if row else None


def and_cuda_pins(entries: list[TensorFlowRelease], tensorflow: str) -> dict[str, str]:
    """nvidia-* pins of ``tensorflow[and-cuda]`` for exactly this release ({} when unknown or no such extra)."""
    e = release(entries, tensorflow)
    return dict(e.and_cuda) if e else {}


def python_supported(entries: list[TensorFlowRelease], tensorflow: str, python: str) -> bool | None:
    """Whether ``python`` (e.g. "3.12") is inside the tested range; None when the range is unknown."""
    row = tested_config(entries, tensorflow)
    if row is None or row.python_min is None or row.python_max is None:
        return None
    want = _minor(python)
    return _minor(row.python_min) <= want <= _minor(row.python_max)
