"""Healthy real machines come out clean: no error or warning findings, and nothing that failed to run."""

from __future__ import annotations

import pytest

from accelctl.doctor import Diagnosis, Source, diagnose, gather
from tests.conftest import FIXTURES


@pytest.mark.parametrize("name, expect", [
    ("h100-node", ["nvidia"]),                # the real H100 node capture
    ("cuda-toolkit-no-driver", []),           # this development machine: CUDA 13 toolkit, no driver
])
def test_healthy_fixture_is_clean(name, expect):
    inv = gather(Source(fixture=str(FIXTURES / "hosts" / name)))
    report = diagnose(inv, Diagnosis(expect=expect))
    bad = [(f.rule_id, f.message) for f in report.findings if f.severity in ("error", "warning")]
    assert bad == []
    assert not [p for p in inv.probes if p.status in ("failed", "timeout")]
