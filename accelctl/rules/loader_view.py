"""Which copy of a CUDA library a framework that dlopens it by soname will get: the loader's view of the inventory.

A framework that does not carry its CUDA libraries asks the dynamic loader for
a soname (``libcudart.so.11.0``, ``libcudnn.so.8``). The loader looks in
``LD_LIBRARY_PATH`` first, then the linker cache and the default folders
(ld.so(8)); the nvidia probe lists every copy it found in those places, with
the folder it came from. Wheel copies under ``site-packages/nvidia`` are not in
any of them: only a framework that knows where they are (an RPATH to them, or
its own preloading) uses them.
"""

from __future__ import annotations

from accelctl.inventory.nvidia import NativeLibrary
from accelctl.inventory.python_env import Distribution, PythonEnvironment
from accelctl.rules.base import RuleContext
from accelctl.rules.facts import dists

# Places the probe records that the loader itself searches (toolkit copies are listed by the linker cache
# or LD_LIBRARY_PATH in a working install; conda's lib/ is on the path of an activated environment).
LOADER_ORIGINS = ("system", "toolkit", "conda", "driver")

# The soname each library is asked for, by its soname major: CUDA 11's runtime is "libcudart.so.11.0".
_SONAME = {"cudart": "libcudart.so.{}", "cublas": "libcublas.so.{}", "cudnn": "libcudnn.so.{}",
           "tensorrt": "libnvinfer.so.{}"}


def soname(library: str, major: int | str) -> str:
    """The soname a framework asks the loader for: ("cudart", 11) -> "libcudart.so.11.0"."""
    text = _SONAME.get(library, "lib" + library + ".so.{}").format(major)
    return text + ".0" if library == "cudart" and str(major) == "11" else text


def major_minor(text: str | None) -> tuple[int, int] | None:
    """"9.3" / "9.3.0.75" / "2.17.1" -> (9, 3); None when it does not start with two numbers."""
    if not text:
        return None
    parts = text.split(".")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].split("+")[0].isdigit():
        return None
    return int(parts[0]), int(parts[1].split("+")[0])


def system_copy(ctx: RuleContext, library: str, major: int | str) -> NativeLibrary | None:
    """The copy of ``library`` with soname major ``major`` the loader opens first, or None when it finds none.

    ``LD_LIBRARY_PATH`` folders in their order come first, then the linker
    cache and the standard folders (the loader's order for a dlopen).
    """
    ld_path = [f.rstrip("/") for f in ctx.inventory.env.get("LD_LIBRARY_PATH", "").split(":") if f.startswith("/")]
    copies = [lib for lib in ctx.inventory.nvidia.libraries
              if lib.name == library and lib.origin in LOADER_ORIGINS and (lib.soname or "").endswith(f".so.{major}")]

    def order(lib: NativeLibrary) -> int:
        folder = lib.path.rsplit("/", 1)[0]
        return ld_path.index(folder) if folder in ld_path else len(ld_path)

    return min(copies, key=order) if copies else None


def copy_version(lib: NativeLibrary) -> tuple[int, int] | None:
    return major_minor(lib.version or lib.header_version or lib.file_version)


# The PyPI project carrying each library, by CUDA major (CUDA 13 dropped the suffix for the toolkit libraries).
_WHEEL = {"cudart": "nvidia-cuda-runtime", "cublas": "nvidia-cublas", "cudnn": "nvidia-cudnn"}


def wheel_name(library: str, cuda_major: int | str) -> str:
    """"nvidia-cuda-runtime-cu12"; "nvidia-cuda-runtime" for CUDA 13; cuDNN keeps its suffix."""
    base = _WHEEL[library]
    return base if int(cuda_major) >= 13 and library != "cudnn" else f"{base}-cu{cuda_major}"


def wheel_copy(env: PythonEnvironment, library: str, cuda_major: int | str,
               soname_major: int | str | None = None) -> Distribution | None:
    """The installed nvidia-* wheel that carries ``library`` for ``cuda_major`` (and, for cuDNN, that soname major)."""
    d = dists(env).get(wheel_name(library, cuda_major))
    if d is None:
        return None
    if soname_major is not None and library == "cudnn" and not d.version.startswith(f"{soname_major}."):
        return None
    return d


def linker_cache_unread(ctx: RuleContext) -> bool:
    """Whether the probe could not read the linker cache, so copies only it lists are unknown."""
    return any(u.fact.endswith("ld_cache") for u in ctx.inventory.unknowns)
