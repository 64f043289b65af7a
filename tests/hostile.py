"""Small hostile inputs that once cost gigabytes, hung, or ended in a traceback; shared by the tests that use them."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

# 477 bytes: nine levels of ten aliases each expand to 10**9 list items (the "billion laughs").
ALIAS_BOMB = (
    'fleet: 1\nclasses:\n  - name: a\n    vendor: cpu\n'
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f'{n}: &{n} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n'
              for p, n in zip("abcdefgh", "bcdefghi"))
)

DEEP_JSON = "[" * 200_000 + "]" * 200_000
HUGE_INT_JSON = '{"schema_version": ' + "9" * 100_000 + "}"


class Zeros(io.RawIOBase):
    """``size`` zero bytes, produced as they are read (a 400 MB member costs no memory to build)."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def huge_metadata_image(path: Path, size: int = 400 << 20) -> Path:
    """An OCI image archive of a few hundred kilobytes whose one layer holds a METADATA of ``size`` bytes."""
    layer = io.BytesIO()
    with gzip.GzipFile(fileobj=layer, mode="wb", compresslevel=9) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        info = tarfile.TarInfo("opt/venv/lib/python3.10/site-packages/big-1.0.dist-info/METADATA")
        info.size = size
        tar.addfile(info, Zeros(size))  # type: ignore[arg-type]
    return oci_archive(path, [layer.getvalue()])


def oci_archive(path: Path, layers: list[bytes], config: bytes | None = None, manifest: bytes | None = None) -> Path:
    """An OCI layout as a tar archive with these layer blobs (and, to break it, this config or manifest)."""
    config = config if config is not None else json.dumps({"config": {"Env": ["PATH=/usr/bin"]}}).encode()
    blobs: dict[str, bytes] = {_sha(b): b for b in [config, *layers]}
    if manifest is None:
        manifest = json.dumps({
            "schemaVersion": 2,
            "config": {"digest": f"sha256:{_sha(config)}", "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": f"sha256:{_sha(b)}",
                        "size": len(b)} for b in layers],
        }).encode()
    blobs[_sha(manifest)] = manifest
    index = json.dumps({"schemaVersion": 2, "manifests": [{"digest": f"sha256:{_sha(manifest)}", "size": len(manifest)}]})
    with tarfile.open(path, "w") as tar:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        add("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        add("index.json", index.encode())
        for digest, data in blobs.items():
            add(f"blobs/sha256/{digest}", data)
    return path


def oci_folder_with_fifo(folder: Path, fifo: str) -> Path:
    """An OCI layout folder whose ``fifo`` (index.json, or "blob" for the manifest blob) is a FIFO."""
    archive = oci_archive(folder.with_suffix(".tar"), [gzip.compress(_empty_layer())])
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(folder)
    if fifo == "index.json":
        target = folder / "index.json"
    else:
        index = json.loads((folder / "index.json").read_text())
        target = folder / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]
    os.unlink(target)
    os.mkfifo(target)
    return folder


def _empty_layer() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w"):
        pass
    return buf.getvalue()


def fleet_yaml(snapshot: str | None = None) -> str:
    base = "fleet: 1\nclasses:\n  - name: cpu\n    vendor: cpu\n"
    return base + (f"  - name: lab\n    snapshot: {snapshot}\n" if snapshot else "")
