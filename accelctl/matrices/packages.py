"""The Python distributions the matrices speak of, by canonical name.

Used to tell a misspelt package name (``torhc``) from a real one before
anything is judged: ``plan`` and ``doctor --assume`` refuse a name that is
neither known here nor installed, when it is close to one that is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from accelctl.matrices import MatrixSet

# The distribution each subject's entries are releases of (the subject's fields name its releases' versions).
_SUBJECT_PACKAGES: dict[str, tuple[str, ...]] = {
    "pytorch": ("torch",),
    "torch_companions": ("torchvision", "torchaudio"),
    "vllm": ("vllm", "flashinfer-python"),  # the vllm matrix's flashinfer column is flashinfer-python's pin
    "jax": ("jax", "jaxlib"),
    "tensorflow": ("tensorflow",),
    "onnxruntime_gpu": ("onnxruntime-gpu",),
}


def _jax(entries: list[Any]) -> Iterable[str]:
    for release in entries:
        for stack in release.cuda:
            yield from (f"jax-cuda{stack.cuda_major}-plugin", f"jax-cuda{stack.cuda_major}-pjrt")


def _nvidia_libraries(entries: list[Any]) -> Iterable[str]:
    for entry in entries:
        yield from (w for w in [entry.wheel, *(b.wheel for b in entry.builds)] if w)


# Subjects whose entries name distributions themselves.
_FROM_ENTRIES: dict[str, Callable[[list[Any]], Iterable[str]]] = {
    "jax": _jax,
    "nvidia_libraries": _nvidia_libraries,
    "torch_extensions": lambda entries: (e.package for e in entries),
    "intel_xpu": lambda entries: (n for e in entries for n in (e.package, *e.runtime_wheels)),
    "tpu": lambda entries: (e.package for e in entries),
    "cupy": lambda entries: (e.name for e in entries if e.kind == "package"),
    "tensorflow": lambda entries: (n for e in entries for n in e.and_cuda),
    "onnxruntime_gpu": lambda entries: (n for e in entries for n in e.extras),
}


def canonical(name: str) -> str:
    """PEP 503's normal form of a distribution name (``Flash_Attn`` -> ``flash-attn``)."""
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def known_packages(matrices: MatrixSet) -> set[str]:
    """Canonical names of every distribution the matrices hold facts about."""
    names = {canonical(n) for packages in _SUBJECT_PACKAGES.values() for n in packages}
    for subject, read in _FROM_ENTRIES.items():
        names.update(canonical(n) for n in read(matrices.entries_or_empty(subject)) if isinstance(n, str) and n)
    return names


__all__ = ["canonical", "known_packages"]
