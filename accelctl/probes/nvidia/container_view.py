"""The NVIDIA container runtime's view of this image: NVIDIA_REQUIRE_*, forward compat, CDI.

NVIDIA_REQUIRE_* (nvidia-container-toolkit internal/requirements/constraints/
factory.go, libnvidia-container's DSL): every NVIDIA_REQUIRE_* variable is one
requirement and all must hold; inside one, space-separated terms are ORed and
comma-separated factors ANDed. Properties: ``cuda`` (the CUDA version the host
driver supports, "13.0"), ``driver`` (host driver version), ``arch`` (compute
capability) and ``brand`` (nvidia, tesla, geforce ...). Versions compare
numerically, brands as strings; an unknown property name is ignored. A
truthy NVIDIA_DISABLE_REQUIRE skips the check. Without NVIDIA_REQUIRE_CUDA, a
legacy image's CUDA_VERSION=X.Y.Z means ``cuda>=X.Y``.

So ``cuda>=13.0 brand=tesla,driver>=535,driver<536`` accepts a driver that
supports CUDA 13.0, or a 535 Tesla driver (which then needs the image's
forward-compat libcuda).

Forward compat (nvidia-container-toolkit cmd/nvidia-cdi-hook/cudacompat): the
runtime adds /usr/local/cuda/compat to the loader's configuration only when the
compat libcuda's major version is above the host driver's. A compat libcuda
that loads anyway (ld.so.cache, LD_LIBRARY_PATH) while older than the kernel
module, or on a GPU without forward-compat support (GeForce/Titan brands), makes
CUDA fail to initialise.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from accelctl.host.base import HostError
from accelctl.inventory.nvidia import CdiSpec

Factor = tuple[str, str, str]  # (property, operator, value)
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">")  # longest first, as the toolkit tries them
_TRUE = ("1", "true", "yes", "on", "y", "t")
# Brands without forward-compatibility support (CUDA Compatibility guide: data-center GPUs only).
NO_FORWARD_COMPAT_BRANDS = ("geforce", "geforcertx", "titan", "titanrtx")
CDI_DIRS = ("/etc/cdi", "/var/run/cdi")
_CDI_DRIVER_FILE = re.compile(r"lib(?:cuda|nvidia-ml|nvidia-ptxjitcompiler|nvidia-nvvm)\.so\.(\d+\.\d+(?:\.\d+)?)")


@functools.lru_cache(maxsize=256)
def parse_requirement(text: str) -> list[list[Factor]]:
    """One NVIDIA_REQUIRE_* value -> OR-list of AND-lists of (property, op, value)."""
    terms: list[list[Factor]] = []
    for term in text.split(" "):
        factors: list[Factor] = []
        for factor in term.split(","):
            factor = factor.strip()
            at = next((i for i, c in enumerate(factor) if c in "<>=!"), -1)
            if at <= 0:
                continue
            prop, rest = factor[:at].lower(), factor[at:]
            op = next((o for o in _OPERATORS if rest.startswith(o)), "")
            if op:
                factors.append((prop, op, rest[len(op):]))
        if factors:
            terms.append(factors)
    return terms


def _vkey(value: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", value)[:3])


def _compare(prop: str, have: str, op: str, want: str) -> bool:
    if prop == "brand":
        a, b = have.lower(), want.lower()
    else:
        a, b = _vkey(have), _vkey(want)  # type: ignore[assignment]
        width = max(len(a), len(b))
        a, b = a + (0,) * (width - len(a)), b + (0,) * (width - len(b))  # type: ignore[operator]
    return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def evaluate(requirements: Sequence[str], props: Mapping[str, str | None]) -> tuple[bool | None, str]:
    """(met?, why) for every requirement against the host's properties; None where a needed one is unknown."""
    unknown_needed = False
    for req in requirements:
        terms = parse_requirement(req)
        if not terms:
            continue
        ok_any, unknown_any = False, False
        for factors in terms:
            known = [f for f in factors if f[0] in ("cuda", "driver", "arch", "brand")]
            if not known:
                continue
            if any(props.get(p) is None for p, _, _ in known):
                unknown_any = True
                continue
            if all(_compare(p, str(props[p]), op, v) for p, op, v in known):
                ok_any = True
                break
        if not ok_any:
            if unknown_any:
                unknown_needed = True
                continue
            shown = ", ".join(f"{k}={v}" for k, v in props.items() if v)
            return False, f"the host ({shown}) meets none of the alternatives of {req.split(' ')[0]} ..."
    if unknown_needed:
        return None, "a property the requirement needs (driver, CUDA version or brand) is unknown"
    return True, "met by the host driver"


def requirements_from_env(env: Mapping[str, str]) -> tuple[list[str], bool]:
    """(requirements, disabled) as the toolkit reads them from the image's environment."""
    disabled = env.get("NVIDIA_DISABLE_REQUIRE", "").strip().lower() in _TRUE
    reqs = [v for k, v in sorted(env.items()) if k.startswith("NVIDIA_REQUIRE_") and not k.startswith("NVIDIA_REQUIRE_JETPACK")]
    if not reqs and env.get("CUDA_VERSION"):
        m = re.match(r"^(\d+)\.(\d+)", env["CUDA_VERSION"])
        if m:
            reqs = [f"cuda>={m.group(1)}.{m.group(2)}"]
    return reqs, disabled


def compat_judgement(compat_version: str | None, host_driver: str | None, brand: str | None,
                     loaded_libcuda: str | None, compat_dir: str | None,
                     ld_library_path: str) -> tuple[bool | None, bool | None, str]:
    """(in_use, ok, why) for a forward-compat libcuda in the image."""
    if not compat_version or not compat_dir:
        return None, None, ""
    by_loader = bool(loaded_libcuda and compat_dir and loaded_libcuda.startswith(compat_dir.rstrip("/") + "/"))
    on_path = any(p.rstrip("/") == compat_dir.rstrip("/") or p.rstrip("/") == "/usr/local/cuda/compat"
                  for p in ld_library_path.split(":") if p)
    by_hook = bool(host_driver and _vkey(compat_version)[:1] > _vkey(host_driver)[:1])
    in_use = by_loader or on_path or by_hook
    how = "the loader resolves libcuda.so.1 to it" if by_loader else (
        "it is on LD_LIBRARY_PATH" if on_path else (
            "the runtime's cuda-compat hook adds it (its major is above the host driver's)" if by_hook else ""))
    if not in_use:
        detail = (f"compat libcuda {compat_version} is present but not used"
                  + (f" (host driver {host_driver} is not older)" if host_driver else ""))
        return False, True, detail
    if host_driver and _vkey(compat_version) < _vkey(host_driver):
        return True, False, f"compat libcuda {compat_version} is older than the host driver {host_driver} and {how}: CUDA fails to initialise"
    if brand and brand.lower() in NO_FORWARD_COMPAT_BRANDS:
        return True, False, f"compat libcuda {compat_version} loads ({how}) but {brand} GPUs do not support forward compatibility"
    if host_driver is None:
        return True, None, f"compat libcuda {compat_version} loads ({how}); the host driver is unknown"
    return True, True, f"compat libcuda {compat_version} loads ({how}) on host driver {host_driver}"


def parse_cdi_driver_version(text: str) -> str | None:
    """The driver version the driver files named in a CDI spec carry (the most common one)."""
    counts: dict[str, int] = {}
    for v in _CDI_DRIVER_FILE.findall(text):
        if v.count(".") >= 1 and not v.startswith("1."):
            counts[v] = counts.get(v, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else None


def read_cdi_specs(host: Any, driver: str | None) -> list[CdiSpec]:
    out = []
    for folder in CDI_DIRS:
        try:
            entries = host.list_dir(folder)
        except HostError:
            continue
        for e in entries:
            if e.is_dir or not e.name.endswith((".yaml", ".yml", ".json")):
                continue
            path = f"{folder}/{e.name}"
            try:
                text = host.read_text(path, 4 << 20)
            except HostError:
                continue
            kind = re.search(r"""["']?kind["']?\s*:\s*["']?([\w./-]+)""", text)
            version = parse_cdi_driver_version(text)
            out.append(CdiSpec(path=path, driver_version=version, kind=kind.group(1) if kind else None,
                               matches_driver=(version == driver) if version and driver else None))
    return out
