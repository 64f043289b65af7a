"""What-if: change facts of an inventory before the rules see it (``--assume KEY=VALUE``).

Shortcuts cover the questions people ask ("what if the driver were 550.54.15?",
"what if this ran on an RTX 5090?"); a distribution's name sets its version
(``torch=2.5.1+cu124``); any other key with a dot is a path into the inventory
document (``os.libc_version=2.31``), validated like a snapshot.

A key that is none of these is a mistake, not a new package: ``drivr=550.54.15``
is refused with the closest key. A distribution name must be installed in the
inspected environment or known to the matrices; ``pkg:NAME=VERSION`` adds any
other distribution on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Any

from accelctl.errors import UsageError, closest
from accelctl.inventory import Inventory, SnapshotError, inventory_from_data

SHORTCUTS = {
    "driver": "NVIDIA driver version for the kernel module, NVML and libcuda (e.g. 550.54.15)",
    "cuda_driver": "highest CUDA version the driver supports (e.g. 12.4)",
    "gpu": "replace the NVIDIA GPUs by one GPU of this model (compute capability from the matrix, or give cc=)",
    "cc": "compute capability of every NVIDIA GPU (e.g. 12.0)",
    "python": "version of the inspected Python (e.g. 3.11)",
    "glibc": "glibc version (e.g. 2.31)",
    "<distribution>": "an installed (or matrix-known) distribution's version, e.g. torch=2.5.1+cu124 "
                      "(the framework facts follow its local tag)",
    "pkg:<distribution>": "any distribution's version, added when it is not installed (e.g. pkg:mylib=1.0)",
    "<dotted.path>": "a field of the inventory document (e.g. os.libc_version=2.31)",
}
PACKAGE_PREFIX = "pkg:"
# What a shortcut's value must look like, and an example for the message when it does not.
_VALUE_FORMS = {
    "driver": (re.compile(r"^\d+(\.\d+){1,3}$"), "a driver version like 550.54.15"),
    "cuda_driver": (re.compile(r"^\d+\.\d+(\.\d+)?$"), "a CUDA version like 12.4"),
    "cc": (re.compile(r"^\d+\.\d+[af]?$"), "a compute capability like 9.0"),
    "python": (re.compile(r"^\d+\.\d+(\.\d+)?$"), "a Python version like 3.11"),
    "glibc": (re.compile(r"^\d+\.\d+$"), "a glibc version like 2.31"),
    "gpu": (re.compile(r"\S"), "a GPU model like 'NVIDIA H100 80GB HBM3'"),
}
_DIST_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)  # PEP 508 names
_LOCAL_RUNTIME = re.compile(r"^(cu|rocm|xpu|cpu)(.*)$")
KEYS_HINT = ("keys: driver, cuda_driver, gpu, cc, python, glibc, a distribution (torch=2.5.1+cu124), "
             "pkg:NAME=VERSION for one that is not installed, or a dotted inventory path (os.libc_version=2.31)")


class AssumptionError(UsageError):
    """An ``--assume`` item accelctl cannot apply (reference: bad-assume-key or bad-assume-value)."""

    reference = "bad-assume-key"
    default_hint = KEYS_HINT


def _key_error(item: str, message: str, near: Sequence[str] = ()) -> AssumptionError:
    hint = ("did you mean " + " or ".join(repr(n) for n in near) + "? " if near else "") + KEYS_HINT
    return AssumptionError(f"--assume {item}: {message}", field="--assume", hint=hint)


def _value_error(item: str, message: str) -> AssumptionError:
    return AssumptionError(f"--assume {item}: {message}", reference="bad-assume-value", field="--assume",
                           hint="write KEY=VALUE with a value of the form the key takes (see accelctl doctor --help)")


def parse_assumptions(items: Sequence[str]) -> list[tuple[str, str]]:
    """(key, value) of each ``KEY=VALUE`` item; shortcut and distribution values are checked here."""
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise AssumptionError(f"--assume {item!r}: expected KEY=VALUE", field="--assume")
        if key in _VALUE_FORMS:
            pattern, form = _VALUE_FORMS[key]
            if not pattern.search(value):
                raise _value_error(item, f"expected {form}, got {value!r}")
        elif "." not in key or key.startswith(PACKAGE_PREFIX):
            _check_distribution(item, key.removeprefix(PACKAGE_PREFIX), value)
        out.append((key, value))
    return out


def _check_distribution(item: str, name: str, version: str) -> None:
    from packaging.version import InvalidVersion, Version

    if not _DIST_NAME.match(name):
        raise _key_error(item, f"{name!r} is not a distribution name", closest(name, _SHORTCUT_KEYS))
    try:
        Version(version)
    except InvalidVersion:
        raise _value_error(item, f"expected a version like 2.5.1+cu124 for {name}, got {version!r}") from None


_SHORTCUT_KEYS = [k for k in SHORTCUTS if not k.startswith("<") and not k.startswith("pkg:")]


def check_assumptions(items: Sequence[str], known_packages: Collection[str] = ()) -> list[str]:
    """Check ``--assume`` items before anything is probed; the items to apply.

    Values are checked against their key's form. A bare name close to a shortcut
    (``drivr``) and not a known distribution is refused now; a name the matrices
    know is returned as ``pkg:NAME=VERSION`` (added if not installed); any other
    name must be installed, which ``apply_assumptions`` checks.
    """
    out = []
    for (key, value), item in zip(parse_assumptions(items), items):
        name = _canonical(key)
        if key in SHORTCUTS or "." in key or key.startswith(PACKAGE_PREFIX):
            out.append(item)
        elif name in known_packages:
            out.append(f"{PACKAGE_PREFIX}{key}={value}")
        else:
            near = closest(key, _SHORTCUT_KEYS, cutoff=0.75)
            if near:
                raise _key_error(item, f"unknown key {key!r}", near)
            out.append(item)
    return out


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    node: Any = data
    parts = path.split(".")
    for part in parts[:-1]:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            if node[part] is None:
                node[part] = {}
            node = node[part]
        else:
            raise AssumptionError(f"--assume {path}: no field '{part}' in the inventory", field="--assume")
    last = parts[-1]
    if isinstance(node, dict) and last in node:
        node[last] = value
    elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = value
    else:
        raise AssumptionError(f"--assume {path}: no field '{last}' in the inventory", field="--assume")


def _runtime_from_version(version: str) -> dict[str, Any]:
    local = version.partition("+")[2]
    m = _LOCAL_RUNTIME.match(local) if local else None
    if not m:
        return {"variant": None}
    kind, rest = m.group(1), m.group(2)
    runtime_kind = {"cu": "cuda", "rocm": "rocm", "xpu": "xpu", "cpu": "cpu"}[kind]
    runtime_version = None
    if kind == "cu" and rest.isdigit() and len(rest) >= 3:
        runtime_version = f"{rest[:-1]}.{rest[-1]}"
    elif kind == "rocm" and rest:
        runtime_version = rest
    return {"variant": local, "runtime_kind": runtime_kind, "runtime_version": runtime_version,
            "variant_source": "--assume (local version tag)"}


def apply_assumptions(inv: Inventory, items: Sequence[str], gpu_cc: Any = None) -> Inventory:
    """Return a copy of ``inv`` with the assumed facts; ``gpu_cc(name)`` looks up a model's compute capability."""
    data = inv.to_data()
    for key, value in parse_assumptions(items):
        if key == "driver":
            drv = data["nvidia"].get("driver") or {}
            drv.update({"version": value, "kernel_module_version": value, "libcuda_version": value,
                        "version_source": "--assume", "nvml_error": None, "cuda_driver_version": None})
            data["nvidia"]["driver"] = drv
            data["nvidia"]["present"] = True
        elif key == "cuda_driver":
            drv = data["nvidia"].get("driver") or {}
            drv.update({"cuda_driver_version": value, "cuda_driver_version_source": "--assume"})
            data["nvidia"]["driver"] = drv
        elif key == "gpu":
            cc = gpu_cc(value) if gpu_cc else None
            data["nvidia"]["gpus"] = [{"index": 0, "name": value, "compute_capability": cc, "source": "--assume"}]
            data["nvidia"]["present"] = True
        elif key == "cc":
            for gpu in data["nvidia"]["gpus"]:
                gpu["compute_capability"] = value
        elif key == "python":
            for env in data["python"]:
                env["version"] = value
        elif key == "glibc":
            data["os"]["libc"], data["os"]["libc_version"] = "glibc", value
        elif key.startswith(PACKAGE_PREFIX):
            _assume_distribution(data, key.removeprefix(PACKAGE_PREFIX), value, add=True)
        elif "." in key:
            _set_path(data, key, value)
        else:
            _assume_distribution(data, key, value, add=False)
    data["mode"] = "assumed"
    try:
        result = inventory_from_data(data, "--assume")
    except SnapshotError as exc:  # a dotted path set a value of the wrong shape
        raise AssumptionError(str(exc), reference="bad-assume-value", field="--assume") from None
    import dataclasses

    from accelctl.derive.accelerators import summarize_accelerators

    return dataclasses.replace(result, accelerators=summarize_accelerators(result))


def _assume_distribution(data: dict[str, Any], name: str, version: str, add: bool) -> None:
    """Set an installed distribution's version; ``add``: install it when it is not (``pkg:NAME``)."""
    norm = _canonical(name)
    if not data["python"]:
        raise AssumptionError(f"--assume {name}={version}: no Python environment in the inventory",
                              reference="bad-assume-key", field="--assume",
                              hint="inspect an environment with --python PATH, or set a shortcut (driver, gpu ...)")
    env = data["python"][0]
    for dist in env["distributions"]:
        if _canonical(dist["name"]) == norm:
            dist["version"] = version
            break
    else:
        if not add:
            installed = [d["name"] for d in env["distributions"]]
            raise _key_error(f"{name}={version}",
                             f"unknown key {name!r}: not a shortcut and no distribution of that name is installed",
                             closest(name, [*_SHORTCUT_KEYS, *installed], cutoff=0.75))
        env["distributions"].append({"name": name, "version": version, "requires": [], "location": "--assume"})
    for fw in env.get("frameworks", []):
        if _canonical(fw["name"]) == norm:
            fw["version"] = version
            fw.update(_runtime_from_version(version))
            fw["pins"], fw["pins_installed"], fw["compiled_archs"], fw["compiled_ptx"] = {}, {}, [], []
            fw["archs_source"] = None
            break
    else:
        fw = {"name": norm, "version": version, "environment": env.get("prefix") or "", "source": "--assume"}
        fw.update(_runtime_from_version(version))
        env.setdefault("frameworks", []).append(fw)
