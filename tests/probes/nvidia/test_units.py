from __future__ import annotations

from accelctl.probes.nvidia import container_view as cv
from accelctl.probes.nvidia import driver, libraries, toolkit
from accelctl.probes.nvidia.elf import ElfDynamic, bytes_reader, read_dynamic
from accelctl.probes.nvidia.ldcache import lookup, parse_ld_cache
from accelctl.probes.nvidia.resolution import LoadedObject, expand, resolve
from tests.probes.nvidia.elfbuild import build_shared_object

H100_CACHE = "tests/fixtures/hosts/h100-node/files/etc/ld.so.cache"
REQ = "cuda>=13.0 brand=tesla,driver>=535,driver<536 brand=nvidia,driver>=535,driver<536"


def test_real_ld_cache_new_format():
    with open(H100_CACHE, "rb") as fh:
        entries = parse_ld_cache(fh.read())
    assert len(entries) == 520
    assert lookup(entries, "libcuda.so.1").path == "/usr/local/nvidia/lib64/libcuda.so.1"
    assert lookup(entries, "libnccl.so.2").path == "/lib/x86_64-linux-gnu/libnccl.so.2"


def test_old_format_cache():
    import struct
    strings = b"libfoo.so.1\0/usr/lib/libfoo.so.1\0"
    data = b"ld.so-1.7.0\0" + struct.pack("<I", 1) + struct.pack("<iII", 0x0303, 0, 12) + strings
    assert [(e.soname, e.path) for e in parse_ld_cache(data)] == [("libfoo.so.1", "/usr/lib/libfoo.so.1")]


def test_elf_dynamic_roundtrip():
    blob = build_shared_object(["libcudnn.so.9", "libc.so.6"], "libx.so", rpath="$ORIGIN/../a:$ORIGIN")
    dyn = read_dynamic(bytes_reader(blob))
    assert (dyn.soname, dyn.needed, dyn.rpath, dyn.runpath) == ("libx.so", ["libcudnn.so.9", "libc.so.6"], ["$ORIGIN/../a", "$ORIGIN"], [])


def test_rpath_beats_ld_library_path_but_runpath_does_not():
    files = {"/sys/libcudnn.so.9", "/w/cudnn/lib/libcudnn.so.9"}
    env = {"LD_LIBRARY_PATH": "/sys"}
    with_rpath = LoadedObject("/w/torch/lib/libtorch_cuda.so", ElfDynamic(rpath=["$ORIGIN/../../cudnn/lib"]))
    with_runpath = LoadedObject("/w/torch/lib/libtorch_cuda.so", ElfDynamic(runpath=["$ORIGIN/../../cudnn/lib"]))
    assert resolve("libcudnn.so.9", files.__contains__, with_rpath, env=env).path == "/w/cudnn/lib/libcudnn.so.9"
    hit = resolve("libcudnn.so.9", files.__contains__, with_runpath, env=env)
    assert (hit.path, hit.via) == ("/sys/libcudnn.so.9", "LD_LIBRARY_PATH")
    assert expand("$ORIGIN/../x", "/a/b") == "/a/x"


def test_runpath_is_not_inherited_but_rpath_is():
    files = {"/pin/libnvJitLink.so.13"}
    parent = LoadedObject("/t/libtorch_cuda.so", ElfDynamic(rpath=["/pin"]))
    child_plain = LoadedObject("/c/libcusparse.so.12", ElfDynamic())
    child_runpath = LoadedObject("/c/libcusparse.so.12", ElfDynamic(runpath=["/nowhere"]))
    assert resolve("libnvJitLink.so.13", files.__contains__, child_plain, [parent]).path == "/pin/libnvJitLink.so.13"
    assert resolve("libnvJitLink.so.13", files.__contains__, child_runpath, [parent]).path is None


def test_driver_parsers():
    assert driver.parse_proc_version(
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  (nixbld@)") == ("580.159.04", "open")
    assert driver.parse_proc_version(
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023") == ("535.104.05", "proprietary")
    assert driver.cuda_version_from_int(13000) == "13.0" and driver.cuda_version_from_int(12040) == "12.4"
    assert toolkit.parse_nvcc_version("Cuda compilation tools, release 13.0, V13.0.88") == "13.0.88"
    assert libraries.parse_header_version("#define NCCL_MAJOR 2\n#define NCCL_MINOR 28\n#define NCCL_PATCH 9\n", "nccl") == "2.28.9"


def test_require_cuda_semantics():
    assert cv.evaluate([REQ], {"cuda": "13.0", "driver": "580.159.04", "brand": "nvidia"})[0] is True
    assert cv.evaluate([REQ], {"cuda": "12.2", "driver": "535.104.05", "brand": "tesla"})[0] is True  # forward-compat branch
    assert cv.evaluate([REQ], {"cuda": "12.2", "driver": "535.104.05", "brand": "geforce"})[0] is False
    assert cv.evaluate([REQ], {"cuda": "12.8", "driver": "570.86.10", "brand": "nvidia"})[0] is False
    assert cv.evaluate([REQ], {"cuda": None, "driver": None, "brand": None})[0] is None
    assert cv.requirements_from_env({"CUDA_VERSION": "12.4.1"}) == (["cuda>=12.4"], False)
    assert cv.requirements_from_env({"NVIDIA_REQUIRE_CUDA": REQ, "NVIDIA_DISABLE_REQUIRE": "true"}) == ([REQ], True)


def test_compat_judgement():
    assert cv.compat_judgement("580.95.05", "580.159.04", "nvidia", "/usr/local/nvidia/lib64/libcuda.so.580.159.04",
                               "/usr/local/cuda-13.0/compat", "/usr/local/nvidia/lib64")[:2] == (False, True)
    assert cv.compat_judgement("580.95.05", "580.159.04", "nvidia", "/usr/local/cuda-13.0/compat/libcuda.so.580.95.05",
                               "/usr/local/cuda-13.0/compat", "")[:2] == (True, False)
    assert cv.compat_judgement("580.95.05", "535.104.05", "tesla", None, "/usr/local/cuda/compat", "")[:2] == (True, True)
    assert cv.compat_judgement("580.95.05", "535.104.05", "geforce", None, "/usr/local/cuda/compat", "")[:2] == (True, False)


def test_cdi_driver_version():
    text = "containerEdits:\n  mounts:\n  - hostPath: /usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15\n" \
           "  - hostPath: /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.550.54.15\n"
    assert cv.parse_cdi_driver_version(text) == "550.54.15"


def test_version_needs_give_the_glibc_floor():
    from accelctl.probes.nvidia.elf import bytes_reader, read_dynamic
    from tests.probes.nvidia.elfbuild import build_shared_object

    so = build_shared_object(["libc.so.6", "libm.so.6"], version_needs={
        "libc.so.6": ["GLIBC_2.17", "GLIBC_2.34", "GLIBC_PRIVATE"], "libm.so.6": ["GLIBC_2.29"]})
    dyn = read_dynamic(bytes_reader(so))
    assert dyn.version_needs == {"libc.so.6": ["GLIBC_2.17", "GLIBC_2.34", "GLIBC_PRIVATE"], "libm.so.6": ["GLIBC_2.29"]}
    assert dyn.glibc_needed() == (2, 34)
    assert read_dynamic(bytes_reader(build_shared_object(["libc.so.6"]))).glibc_needed() is None


def test_a_damaged_version_chain_leaves_the_loader_facts_intact():
    from accelctl.probes.nvidia.elf import bytes_reader, read_dynamic
    from tests.probes.nvidia.elfbuild import build_shared_object

    so = build_shared_object(["libc.so.6"], version_needs={"libc.so.6": ["GLIBC_2.28"]})
    ver_at = so.find(b"\x01\x00\x01\x00")  # vn_version 1, vn_cnt 1: the Elf_Verneed entry
    assert ver_at > 0
    broken = so[:ver_at] + b"\x01\x00\x01\x00" + (0).to_bytes(4, "little") + (10 ** 6).to_bytes(4, "little") + so[ver_at + 12:]
    dyn = read_dynamic(bytes_reader(broken))
    assert dyn.needed == ["libc.so.6"] and dyn.version_needs == {} and dyn.glibc_needed() is None


def test_block_reader_returns_the_same_bytes_in_fewer_reads():
    import random

    from accelctl.probes.nvidia.elf import block_reader, bytes_reader

    data = bytes(random.Random(7).randrange(256) for _ in range(10_000))
    calls = []

    def direct(off, size):
        calls.append((off, size))
        return data[off:off + size]

    cached = block_reader(direct, block=1024)
    rng = random.Random(3)
    for _ in range(300):
        off, size = rng.randrange(12_000), rng.randrange(0, 3_000)
        assert cached(off, size) == bytes_reader(data)(off, size), (off, size)
    assert len(calls) <= 11  # each block of the file fetched at most once (10 blocks, one short at the end)
    assert all(off % 1024 == 0 and size % 1024 == 0 for off, size in calls)


def test_a_library_is_parsed_from_a_handful_of_reads():
    """Dozens of 16-byte version-needed entries and string lookups must not each cost an open and a read."""
    from accelctl.probes.nvidia.elf import block_reader, bytes_reader, read_dynamic
    from tests.probes.nvidia.elfbuild import build_shared_object

    versions = {"libc.so.6": [f"GLIBC_2.{i}" for i in range(2, 40)], "libm.so.6": ["GLIBC_2.29"],
                "libstdc++.so.6": [f"GLIBCXX_3.4.{i}" for i in range(30)]}
    so = build_shared_object(["libc.so.6", "libm.so.6", "libstdc++.so.6"], soname="libx.so.1", rpath="$ORIGIN",
                             version_needs=versions)
    plain = read_dynamic(bytes_reader(so))
    calls = []

    def counted(off, size):
        calls.append(off)
        return so[off:off + size]

    assert read_dynamic(block_reader(counted)) == plain
    assert plain.glibc_needed() == (2, 39) and plain.version_needs == versions
    assert len(calls) <= 4
