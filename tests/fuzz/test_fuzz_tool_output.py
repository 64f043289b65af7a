"""Fuzzing the readers of what files and tools on a node say: METADATA, version strings, command outputs.

These parsers document no error: bad text gives None or nothing, and the probe records an unknown.
"""

from __future__ import annotations

import json
import struct

from hypothesis import example, given
from hypothesis import strategies as st

from accelctl.host.filesystem import FileSystemHost
from accelctl.inventory.python_env import Distribution
from accelctl.probes.amd import kfd, rocm
from accelctl.probes.distributions import (
    distribution_or_reason,
    parse_metadata_headers,
    parse_wheel_tags,
    used_metadata_headers,
)
from accelctl.probes.frameworks.tensorflow import parse_build_info
from accelctl.probes.frameworks.torch import parse_version_py, runtime_from_version_py
from accelctl.probes.nvidia import container_view, driver, gpus, libraries, toolkit
from accelctl.probes.nvidia.ldcache import NEW_MAGIC, OLD_MAGIC, CacheFormatError, parse_ld_cache
from accelctl.probes.other_accel import parse_dpkg_status
from accelctl.probes.python_env import parse_pyvenv_cfg
from accelctl.probes.system import parse_elf_machine, parse_glibc_version, parse_os_release
from tests.fuzz.strategies import BUDGET, json_values, tool_text

metadata_text = st.lists(
    st.tuples(st.sampled_from(["Name", "Version", "Requires-Dist", "Requires-Python", "name", " ", "\t", "X"]) | tool_text,
              st.sampled_from([": ", ":", " : ", ""]), tool_text),
    max_size=8,
).map(lambda rows: "\n".join(k + s + v for k, s, v in rows)) | tool_text


@BUDGET
@given(metadata_text, st.sampled_from(["\n", "\r\n", "\n\n", "\r\n\r\n", ""]), tool_text)
@example("Name: a\r\nVersion: 1\r\n", "\r\n", "body")
@example("Name: a\n  folded\nVersion: 1\u2028x", "\n\n", "")
def test_metadata_headers_never_raise(head, gap, body):
    text = head + gap + body
    for parse in (parse_metadata_headers, used_metadata_headers):
        headers = parse(text)
        assert all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in headers.values())
    parse_wheel_tags(text)


@BUDGET
@given(st.binary(max_size=400) | metadata_text.map(lambda t: t.encode("utf-8", "surrogatepass")))
@example(b"Name: x\nVersion: \xff\xfe\n")
@example(b"")
def test_a_metadata_file_is_a_distribution_or_a_reason(tmp_path_factory, raw):
    root = tmp_path_factory.mktemp("site")
    folder = root / "x-1.dist-info"
    folder.mkdir()
    (folder / "METADATA").write_bytes(raw)
    found = distribution_or_reason(FileSystemHost(str(root)), "/x-1.dist-info", with_tags=True)
    assert isinstance(found, (Distribution, str))
    if isinstance(found, Distribution):
        assert isinstance(found.name, str) and isinstance(found.version, str) and found.name and found.version


@BUDGET
@given(tool_text | json_values.map(json.dumps)
       | json_values.map(lambda v: json.dumps({"cuda": {"version": v}})))
@example('{"cuda": {"version": ["12", "4"]}}')
@example("Version " + "9" * 5000)
@example("#define CUDNN_MAJOR 9\n#define CUDNN_MINOR ²\n#define CUDNN_PATCHLEVEL 1\n")
def test_version_readers_give_a_string_or_none(text):
    for value in (
        toolkit.parse_version_json(text), toolkit.parse_version_txt(text), toolkit.parse_nvcc_version(text),
        toolkit.parse_dumpfullversion(text), toolkit.gcc_major_from_name(text),
        driver.libcuda_version_from_name(text), driver.parse_fabric_manager_version(text),
        rocm.parse_info_version(text), rocm.parse_header_version(text, "ROCM_VERSION_"),
        libraries.parse_header_version(text, "cudnn"), libraries.parse_header_version(text, "nccl"),
        libraries.file_version(text), container_view.parse_cdi_driver_version(text),
        parse_glibc_version(text.encode("utf-8", "surrogatepass")),
    ):
        assert value is None or isinstance(value, str)
    assert isinstance(driver.parse_proc_version(text), tuple)
    for parse in (parse_os_release, parse_pyvenv_cfg, parse_build_info, gpus.parse_proc_gpu_information):
        assert isinstance(parse(text), dict)
    runtime_from_version_py(parse_version_py(text))
    container_view.parse_requirement(text)
    parse_dpkg_status(text, ("cuda-toolkit", "x"))


SMI_FIELDS = ["index", "name", "uuid", "driver_version", "compute_cap", "memory.total [MiB]", "pci.bus_id",
              "mig.mode.current", "ecc.mode.current"]
smi_cell = st.sampled_from(["0", "²", "٣", "NVIDIA H100 80GB HBM3", "81559 MiB", "[N/A]", "Enabled", "9.0", "",
                            "1" * 5000, "GPU-x"]) | tool_text.filter(lambda s: "," not in s and "\n" not in s)
smi_csv = st.lists(st.lists(smi_cell, min_size=len(SMI_FIELDS), max_size=len(SMI_FIELDS)), max_size=3).map(
    lambda rows: "\n".join([", ".join(SMI_FIELDS), *(", ".join(r) for r in rows)]))


@BUDGET
@given(smi_csv | tool_text)
@example("index, memory.total [MiB]\n², 5 MiB\n")  # found by this suite: "²".isdigit() but int("²") fails
@example("index, memory.total [MiB]\n0, " + "1" * 5000 + " MiB\n")
def test_nvidia_smi_output_gives_gpus_or_nothing(text):
    driver.parse_smi_header(text)
    for gpu in gpus.gpus_from_smi(driver.parse_smi_csv(text)):
        assert isinstance(gpu.index, int) and (gpu.memory_mib is None or isinstance(gpu.memory_mib, int))


@BUDGET
@given(tool_text)
@example("gfx_target_version " + "9" * 5000)
def test_kfd_properties_give_integers(text):
    assert all(isinstance(v, int) for v in kfd.parse_properties(text).values())


ld_cache_blobs = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=120).map(lambda b: OLD_MAGIC + b),
    st.tuples(st.integers(0, 2**32 - 1), st.binary(max_size=200)).map(
        lambda t: NEW_MAGIC + b"\0" * 8 + struct.pack("<II", t[0], len(t[1])) + b"\x02" + b"\0" * 19 + t[1]),
    st.tuples(st.integers(0, 3), st.integers(0, 300), st.integers(0, 300)).map(
        lambda t: NEW_MAGIC + b"\0" * 8 + struct.pack("<II", t[0], 0) + b"\x02" + b"\0" * 19
        + struct.pack("<iIIIQ", 1, t[1], t[2], 0, 0) * t[0] + b"libcuda.so.1\0/usr/lib/libcuda.so.1\0"),
)


@BUDGET
@given(ld_cache_blobs)
@example(OLD_MAGIC)  # found by this suite: shorter than the old header, struct.error escaped
@example(OLD_MAGIC + b"\0")
@example(OLD_MAGIC + b"\0" * 5)
def test_ld_cache_parses_or_is_a_cache_format_error(data):
    try:
        entries = parse_ld_cache(data)
    except CacheFormatError:
        return
    assert all(isinstance(e.soname, str) for e in entries)


@BUDGET
@given(st.binary(max_size=64))
@example(b"\x7fELF" + b"\0" * 16)
def test_elf_headers_give_an_architecture_or_none(header):
    assert parse_elf_machine(header) is None or isinstance(parse_elf_machine(header), str)
