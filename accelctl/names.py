"""Distribution names compared the way PEP 503 normalises them (runs of ``-``, ``_`` and ``.`` become ``-``, lower case).

The same normalisation as ``packaging.utils.canonicalize_name``; that module imports
packaging's platform-tag machinery (logging, sysconfig, platform), which comparing
names never needs.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[-_.]+")


def canonical_name(name: str) -> str:
    """'Jax_CUDA12.Plugin' -> 'jax-cuda12-plugin'."""
    return _SEPARATORS.sub("-", name).lower()
