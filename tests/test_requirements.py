"""The fast Requires-Dist parser builds exactly what packaging builds, for every line in our fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement

from accelctl.requirements import _simple, parse_requirement

FIXTURES = Path(__file__).parent / "fixtures"


def _lines():
    seen = set()
    for meta in sorted(FIXTURES.rglob("METADATA")):
        for raw in meta.read_text(encoding="utf-8", errors="replace").split("\n\n", 1)[0].splitlines():
            if raw.lower().startswith("requires-dist:"):
                line = raw.split(":", 1)[1].strip()
                if line not in seen:
                    seen.add(line)
                    yield line


LINES = list(_lines())
EXTRA = [
    'nvidia-cudnn-cu13==9.19.0.56; platform_system == "Linux"',
    "Triton (==3.6.0)",
    "jax[cuda12] (>=0.4.30,<0.5) ; python_version >= '3.10' and extra == 'Cuda_12'",
    "numpy",
    "foo[bar,baz]>=1; extra == 'x'",
    "pkg @ https://example.invalid/pkg.whl ; python_version < '3.11'",
]


def _parts(r: Requirement):
    return (r.name, sorted(r.extras), str(r.specifier), str(r.marker) if r.marker else None, r.url, str(r))


def test_fixtures_have_many_lines():
    assert len(LINES) > 200


@pytest.mark.parametrize("line", LINES + EXTRA)
def test_same_result_as_packaging(line):
    ours = parse_requirement(line)
    theirs = Requirement(line)
    assert ours is not None and _parts(ours) == _parts(theirs)
    assert ours == theirs


def test_most_lines_take_the_fast_path_and_bad_lines_are_none():
    fast = [line for line in LINES if _simple(line) is not None]
    assert len(fast) >= 0.9 * len(LINES)
    assert _simple("pkg @ https://example.invalid/pkg.whl") is None  # URLs go through packaging
    assert parse_requirement("not a requirement ===") is None
    assert parse_requirement("foo; python_version >>> '3'") is None
