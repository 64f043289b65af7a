"""Fixtures for the command-line tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def h100_snapshot(tmp_path_factory) -> Path:
    """The real H100 node's inventory as a snapshot: clean with the bundled matrices."""
    from accelctl import doctor

    path = tmp_path_factory.mktemp("snap") / "node.json"
    path.write_text(doctor.gather(doctor.Source(fixture=str(FIXTURES / "hosts" / "h100-node"))).to_json())
    return path
