from __future__ import annotations

from accelctl.matrices import load
from accelctl.matrices.subjects import rocm as R


def entries():
    return load("rocm").entries


def test_loads():
    es = entries()
    versions = {e.rocm for e in es}
    assert {"5.7.1", "6.0.0", "6.3.3", "6.4.1", "7.1.0", "7.2.4"} <= versions
    assert all(e.provenance.source and e.provenance.read for e in es)


def test_sample_facts():
    by = {e.rocm: e for e in entries()}
    # ROCm/ROCm docs/compatibility/compatibility-matrix-historical-6.0.csv (e396b489), column 6.3.3
    assert by["6.3.3"].gfx_targets == ["gfx1100", "gfx1030", "gfx942", "gfx90a", "gfx908"]
    assert by["6.3.3"].pytorch == ["2.4", "2.3", "2.2", "1.13"]
    assert "SLES 15 SP6" in by["6.3.3"].os and "Oracle Linux 8.10" in by["6.3.3"].os_limited
    # same CSV, column 6.1.2: Ubuntu 20.04.6 and CentOS 7.9 still listed
    assert "Ubuntu 20.04.6" in by["6.1.2"].os and "CentOS 7.9" in by["6.1.2"].os
    # ROCm compatibility-matrix.rst (legacy-rocm-build 076345c0): 6.4.1 adds gfx1201/gfx1200/gfx1101
    assert "gfx1201" in by["6.4.1"].gfx_targets and "gfx1201" not in by["6.4.0"].gfx_targets
    # compatibility-matrix.rst (legacy-rocm-build fff7efbd): 7.2.x with gfx950, PyTorch 2.9.1, driver 30.30.x
    assert "gfx950" in by["7.2.4"].gfx_targets and by["7.2.4"].pytorch[0] == "2.9.1"
    assert by["7.2.4"].compatible_kmd == ["30.30.x", "30.20.x", "30.10.x", "6.4.x"]
    # ROCm/ROCm rocm-5.7.1 docs/release/gpu_os_support.md: MI50 (gfx906) supported, Ubuntu 22.04.3 added
    assert "gfx906" in by["5.7.1"].gfx_targets and "Ubuntu 22.04.3" in by["5.7.1"].os


def test_supports_gfx_boundaries():
    es = entries()
    assert R.supports_gfx(es, "6.3.3", "gfx942") is True
    assert R.supports_gfx(es, "6.3.3", "gfx906") is False  # dropped from the 6.x matrix
    assert R.supports_gfx(es, "5.7.1", "gfx906") is True
    assert R.supports_gfx(es, "6.4.0", "gfx1201") is False
    assert R.supports_gfx(es, "6.4.1", "gfx1201:xnack-") is True
    assert R.supports_gfx(es, "6.3", "gfx942") is True  # minor series -> newest listed patch
    assert R.supports_gfx(es, "6.3.4", "gfx942") is True  # unlisted patch -> nearest older patch of 6.3
    assert R.supports_gfx(es, "5.4.3", "gfx90a") is None  # targets unknown for 5.4
    assert R.supports_gfx(es, "4.5.0", "gfx90a") is None  # release not in the matrix
    assert R.supports_gfx(es, "5.5.1", "gfx1031") is False  # HIP-runtime level only


def test_releases_supporting():
    es = entries()
    got = R.releases_supporting(es, "gfx950")
    assert got[0] == "7.0.0" and "6.4.3" not in got  # MI350 (gfx950) arrived with ROCm 7.0
    assert R.releases_supporting(es, "gfx906") == ["5.5.1", "5.6.0", "5.6.1", "5.7.0", "5.7.1"]
    assert R.releases_supporting(es, "gfx9999") == []


def test_os_and_kmd():
    es = entries()
    assert R.supports_os(es, "6.2.4", "Ubuntu 24.04.1") is True
    assert R.supports_os(es, "6.2.4", "Ubuntu 20.04.6") is False
    assert R.supports_os(es, "6.3.3", "Red Hat Enterprise Linux 9.5") is True
    assert R.kmd_supported(es, "7.2.4", "30.10.1") is True
    assert R.kmd_supported(es, "6.0.0", "6.3.1") is False
    assert R.kmd_supported(es, "6.0.0", "6.2.4") is True
