from __future__ import annotations

import struct

from accelctl.inventory.python_env import Distribution
from accelctl.probes.frameworks import fatbin
from accelctl.probes.frameworks.common import MarkerEnv, glibc_floor, runtime_from_local, tag_platform
from accelctl.probes.frameworks.cuda_wheels import cuda_wheels, runtime_from_pins
from accelctl.probes.frameworks.pipcheck import check
from accelctl.probes.frameworks.tensorflow import parse_build_info
from tests.probes.frameworks.conftest import ENVS


def elf_with_section(name: bytes, payload: bytes) -> bytes:
    """A minimal ELF64 file whose section table holds ``name`` (the real payload) and .shstrtab."""
    strtab = b"\0" + name + b"\0.shstrtab\0"
    data_at = 64
    str_at = data_at + len(payload)
    sh_at = (str_at + len(strtab) + 7) & ~7
    head = bytearray(64)
    head[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", head, 0x28, sh_at)
    struct.pack_into("<HHH", head, 0x3A, 64, 3, 2)
    sections = bytes(64)
    sections += struct.pack("<IIQQQQIIQQ", 1, 1, 2, 0, data_at, len(payload), 0, 0, 8, 0)
    sections += struct.pack("<IIQQQQIIQQ", 2 + len(name), 3, 0, 0, str_at, len(strtab), 0, 0, 1, 0)
    body = bytes(head) + payload + strtab
    return body + bytes(sh_at - len(body)) + sections


def scan(blob: bytes):
    return fatbin.scan(lambda off, size: blob[off:off + size])


def test_fatbin_of_real_nvcc_output():
    found = scan(elf_with_section(b".nv_fatbin", (ENVS / "fatbin" / "nvcc13_sm80_sm90_ptx90.nv_fatbin").read_bytes()))
    assert (found.cubins, found.ptx, found.containers, found.complete) == ({"sm_80": 2, "sm_90": 2}, {"compute_90": 1}, 2, True)
    found = scan(elf_with_section(b".nv_fatbin", (ENVS / "fatbin" / "nvcc13_sm90a_ptx100_compressed.nv_fatbin").read_bytes()))
    assert (found.sm(), found.compute(), found.complete) == (["sm_90a"], ["compute_100"], True)


def test_no_fatbin_section_and_not_elf():
    assert scan(elf_with_section(b".text", b"\0" * 16)) is None
    try:
        scan(b"not an elf" + bytes(64))
    except fatbin.FatbinError as exc:
        assert str(exc) == "not an ELF file"


def test_small_parsers():
    assert runtime_from_local("cu124") == ("cuda", "12.4") and runtime_from_local("rocm6.2.4") == ("rocm", "6.2.4")
    assert runtime_from_local("xpu") == ("xpu", None) and runtime_from_local("git70d99e9") == (None, None)
    assert glibc_floor(["cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"]) == "2.17"
    assert tag_platform(["cp311-cp311-manylinux2014_aarch64"]) == "aarch64"
    assert runtime_from_pins({"cuda-toolkit": "==13.0.2"}) == ("cuda", "13.0", "cuda-toolkit==13.0.2")
    assert runtime_from_pins({"nvidia-cudnn-cu13": "==9.19.0.56"}) == ("cuda", "13", "nvidia-*-cu13 pins (major only)")
    assert parse_build_info("build_info = {'cuda_version': '12.5.1', 'cudnn_version': '9', 'is_cuda_build': True}") == {
        "cuda_version": "12.5.1", "cudnn_version": "9", "is_cuda_build": "True"}


def test_unsuffixed_cuda13_wheels_without_toolkit_follow_the_runtime():
    wheels, majors = cuda_wheels([Distribution("nvidia-cufft", "12.0.0.61"), Distribution("nvidia-cuda-runtime", "13.0.96"),
                                  Distribution("nvidia-ml-py", "13.610.43"), Distribution("nvidia-cudnn-cu12", "9.1.0.70")])
    assert [(w.name, w.major, w.major_source) for w in wheels] == [
        ("nvidia-cuda-runtime", "13", "version"), ("nvidia-cudnn-cu12", "12", "name suffix"),
        ("nvidia-cufft", "13", "unsuffixed CUDA runtime of this environment")]
    assert majors == ["12", "13"]


def test_pipcheck_markers_follow_the_inspected_python():
    torch = Distribution("torch", "2.3.1", ['triton (==2.3.1) ; platform_system == "Linux" and platform_machine == "x86_64" and python_version < "3.12"'])
    assert [p.requirement for p in check([torch], MarkerEnv("3.11.7", "x86_64"))] == ["triton==2.3.1"]
    assert check([torch], MarkerEnv("3.12.3", "x86_64")) == []
    assert check([torch], MarkerEnv("3.11.7", "aarch64")) == []
