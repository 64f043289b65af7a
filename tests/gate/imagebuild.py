"""Build real image archives in tests: docker-save tars and OCI layouts, layer by layer."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

Entry = bytes | str | None | tuple[str, str]  # content, or ("symlink", target), ("dir", "")


def layer_tar(entries: dict[str, Entry]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, value in entries.items():
            info = tarfile.TarInfo(name)
            if isinstance(value, tuple) and value[0] == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, value[1]
                tar.addfile(info)
            elif isinstance(value, tuple) and value[0] == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                data = value.encode() if isinstance(value, str) else (value or b"")
                info.size, info.mode = len(data), 0o755 if name.endswith(("bin/python3", "bin/python")) else 0o644
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def config_json(env: list[str]) -> bytes:
    return json.dumps({"architecture": "amd64", "os": "linux", "config": {"Env": env}, "rootfs": {"type": "layers"}}).encode()


def docker_save(path: Path, layers: list[dict[str, Entry]], env: list[str], tag: str = "example/app:1") -> Path:
    config = config_json(env)
    with tarfile.open(path, "w") as tar:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        names = []
        for layer in layers:
            data = layer_tar(layer)
            name = f"{_sha(data)}/layer.tar"
            add(name, data)
            names.append(name)
        add(f"{_sha(config)}.json", config)
        add("manifest.json", json.dumps([{"Config": f"{_sha(config)}.json", "RepoTags": [tag], "Layers": names}]).encode())
    return path


def oci_layout(folder: Path, layers: list[dict[str, Entry]], env: list[str], gzip_layers: bool = True,
               tag: str = "example/app:1", as_tar: Path | None = None) -> Path:
    blobs = folder / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> str:
        digest = _sha(data)
        (blobs / digest).write_bytes(data)
        return f"sha256:{digest}"

    descs = []
    for layer in layers:
        data = layer_tar(layer)
        if gzip_layers:
            data = gzip.compress(data)
        media = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gzip_layers else "")
        descs.append({"mediaType": media, "digest": put(data), "size": len(data)})
    config = config_json(env)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(config), "size": len(config)},
                "layers": descs}
    mdata = json.dumps(manifest).encode()
    index = {"schemaVersion": 2, "manifests": [{"mediaType": manifest["mediaType"], "digest": put(mdata), "size": len(mdata),
                                                "annotations": {"org.opencontainers.image.ref.name": tag}}]}
    (folder / "index.json").write_text(json.dumps(index))
    (folder / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    if as_tar:
        with tarfile.open(as_tar, "w") as tar:
            for p in sorted(folder.rglob("*")):
                tar.add(p, arcname=str(p.relative_to(folder)), recursive=False)
        return as_tar
    return folder
