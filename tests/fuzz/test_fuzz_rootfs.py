"""Fuzzing whole probes over a file tree: odd file contents cost values (unknowns), never a probe's section,
and whatever is collected reads back as a snapshot."""

from __future__ import annotations

import json
import shutil

from hypothesis import example, given, settings
from hypothesis import strategies as st

from accelctl.host.filesystem import FileSystemHost
from accelctl.inventory import inventory_from_data
from accelctl.probes.base import ProbeOptions
from accelctl.probes.collect import collect
from tests.conftest import UBUNTU_2204_LIBC, UBUNTU_2204_OS_RELEASE, make_tree, real_elf_header
from tests.fuzz.strategies import BUDGET, json_values, tool_text

SITE = "opt/venv/lib/python3.10/site-packages"
BASE: dict[str, str | bytes | None] = {
    "etc/os-release": UBUNTU_2204_OS_RELEASE,
    "bin/sh": real_elf_header(),
    "lib/x86_64-linux-gnu/libc.so.6": UBUNTU_2204_LIBC,
    "opt/venv/pyvenv.cfg": "home = /usr/bin\nversion = 3.10.12\n",
    "opt/venv/bin/python3": None,
    f"{SITE}/torch-2.5.1+cu124.dist-info/METADATA": "Metadata-Version: 2.1\nName: torch\nVersion: 2.5.1+cu124\n",
    f"{SITE}/torch/version.py": "__version__ = '2.5.1+cu124'\ncuda = '12.4'\n",
    "usr/local/cuda-12.4/version.json": '{"cuda": {"version": "12.4.1"}}',
}
# Files a probe reads, and what may be found in them.
TARGETS = [
    "etc/os-release", "lib/x86_64-linux-gnu/libc.so.6", "bin/sh", "opt/venv/pyvenv.cfg",
    f"{SITE}/torch-2.5.1+cu124.dist-info/METADATA", f"{SITE}/torch-2.5.1+cu124.dist-info/WHEEL",
    f"{SITE}/torch-2.5.1+cu124.dist-info/INSTALLER", f"{SITE}/torch/version.py",
    f"{SITE}/tensorflow-2.17.0.dist-info/METADATA", f"{SITE}/tensorflow/python/platform/build_info.py",
    f"{SITE}/jax-0.4.30.dist-info/METADATA", f"{SITE}/nvidia_cudnn_cu12-9.1.0.70.dist-info/METADATA",
    "usr/local/cuda-12.4/version.json", "usr/local/cuda-12.4/version.txt", "usr/include/cudnn_version.h",
    "usr/include/nccl.h", "etc/ld.so.cache", "opt/rocm-6.2.0/.info/version", "opt/rocm-6.2.0/include/hip/hip_version.h",
    "etc/cdi/nvidia.yaml", "var/lib/dpkg/status", "etc/debian_version",
]
contents = (tool_text | st.binary(max_size=200) | json_values.map(json.dumps)
            | json_values.map(lambda v: json.dumps({"cuda": {"version": v}})))
trees = st.dictionaries(st.sampled_from(TARGETS), contents, max_size=6)
envs = st.dictionaries(st.sampled_from(["NVIDIA_REQUIRE_CUDA", "CUDA_VERSION", "LD_LIBRARY_PATH", "NVIDIA_VISIBLE_DEVICES",
                                        "HSA_OVERRIDE_GFX_VERSION", "VIRTUAL_ENV"]), tool_text, max_size=3)


@settings(BUDGET, max_examples=max(1, BUDGET.max_examples // 2))
@given(trees, envs)
@example({"usr/local/cuda-12.4/version.json": '{"cuda": {"version": ["12", "4"]}}'}, {})
@example({f"{SITE}/torch-2.5.1+cu124.dist-info/METADATA": b"\xff\xfe"}, {"NVIDIA_REQUIRE_CUDA": "cuda>=²"})
def test_probes_keep_their_sections_and_the_snapshot_reads_back(tmp_path_factory, files, env):
    root = tmp_path_factory.mktemp("rootfs")
    try:
        make_tree(root, {**BASE, **files}, links={"usr/local/cuda": "cuda-12.4"})
        inventory = collect(FileSystemHost(str(root), env={"PATH": "/opt/venv/bin:/usr/bin", **env}),
                            ProbeOptions(), mode="rootfs")
        failed = [(p.name, p.error) for p in inventory.probes if p.status == "failed"]
        assert failed == []
        again = inventory_from_data(json.loads(inventory.to_json()), "snapshot")
        assert again.to_data() == inventory.to_data()
    finally:
        shutil.rmtree(root, ignore_errors=True)
