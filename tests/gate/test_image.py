"""Reading images without a daemon: both layouts, layers, whiteouts, and hostile archives."""

from __future__ import annotations

import io
import os
import tarfile

import pytest

from accelctl.gate.image import ImageError, unpack_image
from accelctl.host.filesystem import FileSystemHost
from accelctl.probes.base import ProbeOptions
from accelctl.probes.collect import collect
from tests.conftest import UBUNTU_2204_LIBC, UBUNTU_2204_OS_RELEASE, real_elf_header
from tests.gate.imagebuild import docker_save, layer_tar, oci_layout

SITE = "opt/venv/lib/python3.10/site-packages"
BASE = {
    "etc/os-release": UBUNTU_2204_OS_RELEASE,
    "bin/sh": real_elf_header(),
    "lib/x86_64-linux-gnu/libc.so.6": UBUNTU_2204_LIBC,
    "usr/lib/x86_64-linux-gnu/libcudnn.so.8.9.2": b"\x7fELF old cudnn",
    "usr/lib/x86_64-linux-gnu/libcudnn.so.8": ("symlink", "libcudnn.so.8.9.2"),
}
APP = {
    "opt/venv/pyvenv.cfg": "home = /usr/bin\nversion = 3.10.12\n",
    "opt/venv/bin/python3": b"",
    f"{SITE}/torch-2.5.1+cu124.dist-info/METADATA": "Metadata-Version: 2.1\nName: torch\nVersion: 2.5.1+cu124\n",
    "usr/lib/x86_64-linux-gnu/.wh.libcudnn.so.8.9.2": b"",  # whiteout: the app layer deletes the old cuDNN
}
ENV = ["PATH=/opt/venv/bin:/usr/bin:/bin", "NVIDIA_REQUIRE_CUDA=cuda>=12.4", "CUDA_VERSION=12.4.1"]


def _facts(root: str, env):
    inv = collect(FileSystemHost(root, env=env), ProbeOptions(), mode="rootfs")
    return (inv.os.distro_version, inv.os.libc_version, tuple((d.name, d.version) for d in inv.python[0].distributions),
            inv.container.image_env.get("NVIDIA_REQUIRE_CUDA"))


@pytest.fixture
def images(tmp_path):
    return {
        "docker-save": docker_save(tmp_path / "save.tar", [BASE, APP], ENV),
        "oci-dir": oci_layout(tmp_path / "oci", [BASE, APP], ENV),
        "oci-tar": oci_layout(tmp_path / "oci2", [BASE, APP], ENV, as_tar=tmp_path / "oci.tar"),
    }


def test_all_layouts_give_the_same_view(images, tmp_path):
    results = {}
    for kind, path in images.items():
        with unpack_image(str(path)) as img:
            assert img.env["CUDA_VERSION"] == "12.4.1"
            assert img.stats.layers == 2
            assert not os.path.exists(os.path.join(img.root, "usr/lib/x86_64-linux-gnu/libcudnn.so.8.9.2"))
            results[kind] = _facts(img.root, img.env)
        assert not os.path.exists(img.root), "the temporary folder is removed"
    assert len(set(results.values())) == 1
    assert results["docker-save"] == ("22.04", "2.35", (("torch", "2.5.1+cu124"),), "cuda>=12.4")


def test_the_same_as_an_unpacked_rootfs(images, tmp_path):
    root = tmp_path / "rootfs"
    for layer in (BASE, APP):
        with tarfile.open(fileobj=io.BytesIO(layer_tar(layer))) as tar:
            for m in tar:
                if ".wh." in m.name:
                    os.unlink(root / m.name.replace(".wh.", ""))
                else:
                    tar.extract(m, root, **({"filter": "tar"} if hasattr(tarfile, "data_filter") else {}))
    env = dict(e.split("=", 1) for e in ENV)
    with unpack_image(str(images["docker-save"])) as img:
        assert _facts(str(root), env) == _facts(img.root, img.env)


def test_an_opaque_whiteout_empties_the_folder(tmp_path):
    layers = [{"opt/a/x": "1", "opt/a/y": "2"}, {"opt/a/.wh..wh..opq": b"", "opt/a/z": "3"}]
    with unpack_image(str(docker_save(tmp_path / "i.tar", layers, []))) as img:
        assert sorted(os.listdir(os.path.join(img.root, "opt/a"))) == ["z"]


def test_hostile_entries_never_write_outside(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    layers = [{
        "../../outside/evil": "x",
        "/abs/evil": "x",
        "etc/link": ("symlink", str(outside)),  # a link to a real folder of this machine
    }, {"etc/link/planted": "x"}]
    with unpack_image(str(docker_save(tmp_path / "i.tar", layers, []))) as img:
        assert set(img.stats.skipped_unsafe) == {"../../outside/evil", "/abs/evil"}
        # the write through the link landed inside the image's own folder
        assert os.path.isfile(os.path.join(img.root, outside.relative_to("/"), "planted"))
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("content", [b"", b"not a tar at all", b"\x1f\x8b\x08\x00garbage"])
def test_corrupt_archives_are_clear_errors(tmp_path, content):
    path = tmp_path / "bad.tar"
    path.write_bytes(content)
    with pytest.raises(ImageError) as info:
        unpack_image(str(path))
    assert str(path) in str(info.value)


def test_a_truncated_layer_is_a_clear_error(tmp_path):
    good = docker_save(tmp_path / "good.tar", [BASE, APP], ENV)
    data = good.read_bytes()
    (tmp_path / "cut.tar").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError):
        unpack_image(str(tmp_path / "cut.tar"))


def test_large_libraries_keep_only_their_head(tmp_path):
    big = b"\x7fELF" + b"\x00" * (6 << 20)
    with unpack_image(str(docker_save(tmp_path / "i.tar", [{f"{SITE}/torch/lib/libtorch_cuda.so": big,
                                                             f"{SITE}/torch/lib/libother.so": big}], []))) as img:
        kept = os.path.getsize(os.path.join(img.root, SITE, "torch/lib/libtorch_cuda.so"))
        assert kept == 4 << 20 and f"{SITE}/torch/lib/libtorch_cuda.so" in img.stats.truncated
        assert os.path.getsize(os.path.join(img.root, SITE, "torch/lib/libother.so")) == 0


def test_a_huge_layer_is_streamed_and_not_kept(tmp_path):
    """64 MiB of data the probes never read: streamed through, an empty placeholder kept."""
    import io as _io

    layer = tmp_path / "big-layer.tar"
    with tarfile.open(layer, "w") as tar:
        info = tarfile.TarInfo("opt/model/weights.bin")
        info.size = 64 << 20
        tar.addfile(info, _io.BytesIO(bytes(info.size)))
    archive = tmp_path / "big.tar"
    import hashlib
    import json as _json

    digest = hashlib.sha256(layer.read_bytes()).hexdigest()
    config = b'{"config": {"Env": []}}'
    with tarfile.open(archive, "w") as tar:
        tar.add(layer, arcname=f"{digest}/layer.tar")
        for name, data in ((f"{hashlib.sha256(config).hexdigest()}.json", config),
                           ("manifest.json", _json.dumps([{"Config": f"{hashlib.sha256(config).hexdigest()}.json",
                                                           "Layers": [f"{digest}/layer.tar"]}]).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, _io.BytesIO(data))
    with unpack_image(str(archive)) as img:
        assert os.path.getsize(os.path.join(img.root, "opt/model/weights.bin")) == 0
        assert img.stats.kept_bytes == 0
