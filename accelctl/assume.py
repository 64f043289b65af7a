"""What-if: change facts of an inventory before the rules see it (``--assume KEY=VALUE``).

Shortcuts cover the questions people ask ("what if the driver were 550.54.15?",
"what if this ran on an RTX 5090?"); any other key is a dotted path into the
inventory document (``os.libc_version=2.31``), validated like a snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from accelctl.inventory import Inventory, SnapshotError, inventory_from_data

SHORTCUTS = {
    "driver": "NVIDIA driver version for the kernel module, NVML and libcuda (e.g. 550.54.15)",
    "cuda_driver": "highest CUDA version the driver supports (e.g. 12.4)",
    "gpu": "replace the NVIDIA GPUs by one GPU of this model (compute capability from the matrix, or give cc=)",
    "cc": "compute capability of every NVIDIA GPU (e.g. 12.0)",
    "python": "version of the inspected Python (e.g. 3.11)",
    "glibc": "glibc version (e.g. 2.31)",
    "<distribution>": "any installed distribution's version, e.g. torch=2.5.1+cu124 (the framework facts follow its local tag)",
}
_LOCAL_RUNTIME = re.compile(r"^(cu|rocm|xpu|cpu)(.*)$")


class AssumptionError(SnapshotError):
    pass


def parse_assumptions(items: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise AssumptionError(f"--assume {item!r}: expected KEY=VALUE (keys: {', '.join(SHORTCUTS)} or a dotted path)")
        out.append((key.strip(), value.strip()))
    return out


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
            raise AssumptionError(f"--assume {path}: no field '{part}' in the inventory")
    last = parts[-1]
    if isinstance(node, dict) and last in node:
        node[last] = value
    elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = value
    else:
        raise AssumptionError(f"--assume {path}: no field '{last}' in the inventory")


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
        elif "." in key:
            _set_path(data, key, value)
        else:
            _assume_distribution(data, key, value)
    data["mode"] = "assumed"
    result = inventory_from_data(data, "--assume")
    import dataclasses

    from accelctl.derive.accelerators import summarize_accelerators

    return dataclasses.replace(result, accelerators=summarize_accelerators(result))


def _assume_distribution(data: dict[str, Any], name: str, version: str) -> None:
    norm = name.lower().replace("_", "-")
    if not data["python"]:
        raise AssumptionError(f"--assume {name}={version}: no Python environment in the inventory")
    env = data["python"][0]
    for dist in env["distributions"]:
        if dist["name"].lower().replace("_", "-") == norm:
            dist["version"] = version
            break
    else:
        env["distributions"].append({"name": name, "version": version, "requires": [], "location": "--assume"})
    for fw in env.get("frameworks", []):
        if fw["name"].lower().replace("_", "-") == norm:
            fw["version"] = version
            fw.update(_runtime_from_version(version))
            fw["pins"], fw["pins_installed"], fw["compiled_archs"], fw["compiled_ptx"] = {}, {}, [], []
            fw["archs_source"] = None
            break
    else:
        fw = {"name": norm, "version": version, "environment": env.get("prefix") or "", "source": "--assume"}
        fw.update(_runtime_from_version(version))
        env.setdefault("frameworks", []).append(fw)
