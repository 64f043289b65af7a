"""Read a container image without a Docker daemon: docker-save archives and OCI layouts.

Layers are applied in order with their whiteouts into a private temporary
folder, keeping only what the probes read (metadata, version files, headers,
the first megabytes of the libraries whose ELF headers matter) and an empty
placeholder for everything else. Nothing is written outside that folder:
members with absolute or ``..`` paths are skipped, and links are resolved
inside the image, never on this machine.
"""

from __future__ import annotations

import gzip
import io
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from typing_extensions import Self

from accelctl.host.filesystem import FileSystemHost

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"

# Files kept whole (small, and what the probes parse).
_KEEP_WHOLE = re.compile(
    r"(\.dist-info/(METADATA|WHEEL|INSTALLER|entry_points\.txt)$|\.egg-info(/PKG-INFO|/requires\.txt)?$"
    r"|/os-release$|^etc/(ld\.so\.cache|hostname|debian_version|redhat-release)$|/pyvenv\.cfg$"
    r"|/version\.(json|txt)$|/\.info/version$|(cudnn_version|nccl|cuda|NvInferVersion|rccl)\.h$"
    r"|/libc\.so\.6$|/libc-[\d.]+\.so$|/ld-musl-[^/]+$|^bin/sh$|/conda-meta/[^/]+\.json$|/python\d(\.\d+)?$|/patchlevel\.h$"
    r"|/torch/version\.py$|/jaxlib/version\.py$|^etc/cdi/|^var/run/cdi/)"
)
# Libraries whose ELF headers (soname, RUNPATH, NEEDED) matter: keep their first bytes.
_KEEP_HEAD = re.compile(
    r"/lib(torch_cuda|torch_hip|torch_xpu|torch|c10_cuda|cudnn[^/]*|nccl|rccl|cublas[^/]*|cudart|cuda|nvrtc|"
    r"cusparseLt|nvJitLink|nvinfer|amdhip64|MIOpen|rocblas|hipblaslt|ze_loader|sycl|xla_extension|tpu|nrt)\.so[.\d]*$"
)
HEAD_BYTES = 4 << 20
# What the probes read of a file kept whole is far smaller (METADATA headers: 256 KiB); a larger
# member is kept up to this and listed as truncated.
MAX_WHOLE_BYTES = 32 << 20
MAX_JSON_BYTES = 16 << 20  # manifest.json, index.json, image manifests and configs
_COPY_CHUNK = 1 << 20
MAX_MEMBERS = 2_000_000
# An image archive holds a handful of entries per layer (docker save) or one blob per layer (OCI).
MAX_ARCHIVE_MEMBERS = 100_000
MAX_KEPT_BYTES = 4 << 30


class ImageError(Exception):
    """The image cannot be read; the message names the file and the problem."""


@dataclass
class ImageReadStats:
    layers: int = 0
    members: int = 0
    kept_bytes: int = 0
    skipped_unsafe: list[str] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)


@dataclass
class UnpackedImage:
    """An image's filesystem view in a temporary folder, and its config."""

    root: str
    env: dict[str, str]
    reference: str
    stats: ImageReadStats
    config: dict[str, Any] = field(default_factory=dict)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


Progress = Callable[[str, int, int], None]  # (what, done, total)


def safe_member_path(name: str) -> str | None:
    """The image path of a tar member, or None when it would leave the image."""
    if name.startswith("/"):
        return None
    norm = posixpath.normpath(name)
    if norm in (".", "") or norm == ".." or norm.startswith("../"):
        return None if norm != "." else ""
    return norm


def wanted(path: str) -> str:
    """'whole', 'head' or 'placeholder' for an image path."""
    if _KEEP_WHOLE.search(path):
        return "whole"
    if _KEEP_HEAD.search("/" + path):
        return "head"
    return "placeholder"


class _Layering:
    """Applies layer tar streams to a folder, whiteouts first within each layer."""

    def __init__(self, root: str, stats: ImageReadStats) -> None:
        self.root = root
        self.tree = FileSystemHost(root)
        self.stats = stats

    def _dest(self, path: str, follow_last: bool = False) -> str:
        dest = self.tree._resolve("/" + path, follow_last)
        if os.path.commonpath([dest, self.root]) != self.root:  # defence in depth
            raise ImageError(f"refusing to write outside the image folder: {path}")
        return dest

    def apply(self, stream: IO[bytes], label: str) -> None:
        self.stats.layers += 1
        try:
            with tarfile.open(fileobj=stream, mode="r|*") as tar:
                for member in tar:
                    self.stats.members += 1
                    if self.stats.members > MAX_MEMBERS:
                        raise ImageError(f"{label}: more than {MAX_MEMBERS} files; refusing to read further")
                    self._member(tar, member)
                    # tarfile keeps every header it has read; a layer of millions of empty members
                    # would hold them all (~500 bytes each). Nothing here looks back at them.
                    tar.members.clear()  # type: ignore[attr-defined]
        except (tarfile.TarError, EOFError, OSError, zlib_error()) as exc:
            raise ImageError(f"{label}: corrupt or unreadable layer: {exc}") from None
        except ValueError as exc:  # a NUL byte in a member's name or link target (tar headers allow it)
            raise ImageError(f"{label}: member that cannot exist on a file system: {exc}") from None

    def _member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        path = safe_member_path(member.name)
        if path is None:
            self.stats.skipped_unsafe.append(member.name)
            return
        if not path:
            return
        base = posixpath.basename(path)
        parent = posixpath.dirname(path)
        if base == OPAQUE:
            folder = self._dest(parent, follow_last=True) if parent else self.root
            if os.path.isdir(folder):
                for child in os.listdir(folder):
                    _remove(os.path.join(folder, child))
            return
        if base.startswith(WHITEOUT):
            _remove(self._dest(posixpath.join(parent, base[len(WHITEOUT):])))
            return
        dest = self._dest(path)
        if member.isdir():
            if os.path.lexists(dest) and not os.path.isdir(dest):
                _remove(dest)
            os.makedirs(dest, exist_ok=True)
            return
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if os.path.lexists(dest):
            _remove(dest)
        if member.issym():
            os.symlink(member.linkname, dest)
        elif member.islnk():
            target = safe_member_path(member.linkname)
            source = self._dest(target, follow_last=True) if target else None
            if source and os.path.isfile(source):
                shutil.copyfile(source, dest)
            else:
                open(dest, "wb").close()
        elif member.isfile():
            self._file(tar, member, path, dest)
        # devices, fifos: not needed by any probe

    def _file(self, tar: tarfile.TarFile, member: tarfile.TarInfo, path: str, dest: str) -> None:
        mode = wanted(path)
        limit = min(member.size, MAX_WHOLE_BYTES) if mode == "whole" else HEAD_BYTES if mode == "head" else 0
        limit = min(limit, max(0, MAX_KEPT_BYTES - self.stats.kept_bytes))
        with open(dest, "wb") as out:
            src = tar.extractfile(member) if limit else None
            copied = 0
            while src is not None and copied < limit:  # streamed: a member's size never becomes one allocation
                piece = src.read(min(_COPY_CHUNK, limit - copied))
                if not piece:
                    break
                out.write(piece)
                copied += len(piece)
            self.stats.kept_bytes += copied
        if mode != "placeholder" and member.size > limit:
            self.stats.truncated.append(path)
        if member.mode & 0o111:
            os.chmod(dest, 0o755)


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


def _remove(path: str) -> None:
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)


def _open_blob(opener: Callable[[str], IO[bytes]], name: str, label: str) -> IO[bytes]:
    try:
        return opener(name)
    except (KeyError, FileNotFoundError):
        raise ImageError(f"{label}: the archive has no {name}") from None


def _read_json(opener: Callable[[str], IO[bytes]], name: str, label: str) -> Any:
    from accelctl.bounded import InputFileError, loads_json

    with _open_blob(opener, name, label) as fh:
        data = fh.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise ImageError(f"{label}: {name} is larger than {MAX_JSON_BYTES} bytes; not an image's JSON")
    try:
        return loads_json(data, f"{label}: {name}")
    except InputFileError as exc:
        raise ImageError(str(exc)) from None


def _shape(value: Any, expected: type, label: str, where: str) -> Any:
    """``value`` if it has the JSON type an image document needs there, else an ImageError naming the field."""
    if not isinstance(value, expected) or isinstance(value, bool):
        kinds: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
        raise ImageError(f"{label}: field '{where}' must be {kinds.get(expected, expected.__name__)}, "
                         f"got {type(value).__name__}")
    return value


def _strings(value: Any, label: str, where: str) -> list[str]:
    items = _shape(value, list, label, where)
    return [_shape(item, str, label, f"{where}[{i}]") for i, item in enumerate(items)]


def _layers_and_config(opener: Callable[[str], IO[bytes]], label: str) -> tuple[list[str], dict[str, Any], str]:
    """Layer blob names, the image config and a reference, for either layout."""
    try:
        manifest = _read_json(opener, "manifest.json", label)
    except ImageError as exc:
        if "has no manifest.json" not in str(exc):
            raise
        manifest = None
    if isinstance(manifest, list) and manifest:  # docker save
        entry = _shape(manifest[0], dict, label, "manifest.json[0]")
        if "Layers" not in entry or "Config" not in entry:
            raise ImageError(f"{label}: manifest.json lacks Layers/Config")
        layers = _strings(entry["Layers"], label, "manifest.json[0].Layers")
        config_name = _shape(entry["Config"], str, label, "manifest.json[0].Config")
        config = _shape(_read_json(opener, config_name, label), dict, label, config_name)
        tags = _strings(entry.get("RepoTags") or [config_name], label, "manifest.json[0].RepoTags")
        return layers, config, (tags or [config_name])[0]
    if manifest is not None:
        raise ImageError(f"{label}: manifest.json is not a non-empty list of images")
    index = _shape(_read_json(opener, "index.json", label), dict, label, "index.json")
    manifests = _shape(index.get("manifests", []), list, label, "index.json.manifests")
    if not manifests:
        raise ImageError(f"{label}: neither a docker-save manifest.json nor an OCI index.json with manifests")
    desc = _shape(manifests[0], dict, label, "index.json.manifests[0]")
    for _ in range(4):  # an index may point at an index (multi-platform)
        blob_name = _blob_name(desc, label)
        blob = _shape(_read_json(opener, blob_name, label), dict, label, blob_name)
        if "layers" in blob:
            break
        listed = _shape(blob.get("manifests", []), list, label, f"{blob_name}.manifests")
        nested = [m for m in listed
                  if isinstance(m, dict) and _platform_arch(m) in (None, "amd64", "arm64")]
        if not nested:
            raise ImageError(f"{label}: index has no usable manifest")
        desc = nested[0]
    else:
        raise ImageError(f"{label}: image index nesting too deep")
    layer_descs = _shape(blob["layers"], list, label, f"{blob_name}.layers")
    for i, layer in enumerate(layer_descs):
        _shape(layer, dict, label, f"{blob_name}.layers[{i}]")
        media = layer.get("mediaType", "")
        if isinstance(media, str) and "zstd" in media:
            raise ImageError(f"{label}: zstd-compressed layers are not supported yet ({layer.get('digest')})")
    config_desc = _shape(blob.get("config"), dict, label, f"{blob_name}.config")
    config_name = _blob_name(config_desc, label)
    config = _shape(_read_json(opener, config_name, label), dict, label, config_name)
    annotations = desc.get("annotations")
    ref = annotations.get("org.opencontainers.image.ref.name") if isinstance(annotations, dict) else None
    if not isinstance(ref, str) or not ref:
        ref = desc.get("digest", "") if isinstance(desc.get("digest"), str) else ""
    return [_blob_name(layer, label) for layer in layer_descs], config, ref


def _platform_arch(desc: dict[str, Any]) -> Any:
    platform = desc.get("platform")
    return platform.get("architecture") if isinstance(platform, dict) else None


def _blob_name(desc: dict[str, Any], label: str) -> str:
    digest = desc.get("digest", "") if isinstance(desc, dict) else ""
    if not isinstance(digest, str):
        raise ImageError(f"{label}: bad blob digest {digest!r:.80}")
    algo, _, hexpart = digest.partition(":")
    if not re.fullmatch(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*", algo) or not re.fullmatch(r"[a-f0-9]{32,128}", hexpart):
        raise ImageError(f"{label}: bad blob digest {digest!r:.80}")
    return f"blobs/{algo}/{hexpart}"


def _maybe_gunzip(stream: IO[bytes]) -> IO[bytes]:
    head = stream.read(2)
    rest = io.BufferedReader(_Prefixed(head, stream))  # type: ignore[arg-type]
    return gzip.GzipFile(fileobj=rest) if head == b"\x1f\x8b" else rest  # type: ignore[return-value]


class _Prefixed(io.RawIOBase):
    """A stream with some already-read bytes put back in front."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(b))
        b[: len(data)] = data
        return len(data)


def unpack_image(path: str, progress: Progress | None = None) -> UnpackedImage:
    """Unpack an image archive (docker save / OCI tar) or an OCI layout folder."""
    from accelctl.bounded import InputFileError, open_regular

    label = path
    if os.path.isdir(path):
        def opener(name: str) -> IO[bytes]:
            safe = safe_member_path(name)
            if not safe:
                raise ImageError(f"{label}: unsafe blob path {name!r}")
            full = os.path.join(path, safe)
            if not os.path.lexists(full):
                raise FileNotFoundError(full)
            try:  # a FIFO planted as index.json or a blob must not block the read
                return os.fdopen(open_regular(full, "image blob"), "rb")
            except InputFileError as exc:
                raise ImageError(str(exc)) from None

        return _unpack(opener, label, progress)
    try:
        archive = os.fdopen(open_regular(path, "image archive"), "rb")
    except InputFileError as exc:
        raise ImageError(str(exc)) from None
    try:
        outer = tarfile.open(fileobj=archive, mode="r:*")  # noqa: SIM115 (closed by the with below)
    except (tarfile.TarError, OSError, EOFError, zlib_error()) as exc:
        archive.close()
        raise ImageError(f"{label}: not a readable image archive: {exc}") from None
    with archive, outer:
        _index_archive(outer, label)

        def opener(name: str) -> IO[bytes]:
            member = outer.getmember(posixpath.normpath(name))
            fh = outer.extractfile(member)
            if fh is None:
                raise ImageError(f"{label}: {name} is not a file in the archive")
            return fh

        try:
            return _unpack(opener, label, progress)
        except (tarfile.TarError, EOFError, OSError, zlib_error()) as exc:
            raise ImageError(f"{label}: corrupt archive: {exc}") from None


def _index_archive(outer: tarfile.TarFile, label: str) -> None:
    """Read the archive's member list once, refusing one far larger than any image's (its headers stay in memory)."""
    try:
        for count, _ in enumerate(outer, 1):
            if count > MAX_ARCHIVE_MEMBERS:
                raise ImageError(f"{label}: more than {MAX_ARCHIVE_MEMBERS} entries; not an image archive")
    except (tarfile.TarError, EOFError, OSError, zlib_error()) as exc:
        raise ImageError(f"{label}: corrupt archive: {exc}") from None


def _unpack(opener: Callable[[str], IO[bytes]], label: str, progress: Progress | None) -> UnpackedImage:
    layers, config, ref = _layers_and_config(opener, label)
    stats = ImageReadStats()
    root = tempfile.mkdtemp(prefix="accelctl-image-")
    try:
        layering = _Layering(root, stats)
        for i, name in enumerate(layers):
            if progress:
                progress(f"layer {i + 1}/{len(layers)}", i, len(layers))
            with _open_blob(opener, name, label) as blob:
                layering.apply(_maybe_gunzip(blob), f"{label}: layer {name}")
        if progress:
            progress("done", len(layers), len(layers))
        env = image_env(config)
    except BaseException:  # an error, Ctrl-C or SIGTERM (see accelctl.interrupts): leave nothing behind
        shutil.rmtree(root, ignore_errors=True)
        raise
    return UnpackedImage(root=root, env=env, reference=ref, stats=stats, config=config)


def image_env(config: dict[str, Any]) -> dict[str, str]:
    """The image's environment from its config (``config.Env`` KEY=VALUE lines); odd shapes give none."""
    inner = config.get("config") or config.get("Config") or {}
    items = inner.get("Env") if isinstance(inner, dict) else None
    out: dict[str, str] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str) and "=" in item:
            key, _, value = item.partition("=")
            out[key] = value
    return out
