"""The short list of headline facts every human-facing format shows, from the inventory."""

from __future__ import annotations

from accelctl.inventory import Inventory
from accelctl.report.model import Origin


def checked_what(inv: Inventory, origin: Origin | None = None) -> str:
    """What the report is about: "this machine (live)", "snapshot node.json (taken on ... at ...)", "rootfs DIR"."""
    origin = origin or Origin()
    assumed = " with assumed facts (--assume)" if inv.mode == "assumed" else ""
    if origin.kind == "snapshot":
        where = "a live machine" if inv.host in ("", "this machine") else inv.host
        when = f" at {inv.created}" if inv.created else ""
        return f"snapshot {origin.path} (taken on {where}{when}){assumed}"
    if origin.kind == "rootfs":
        return f"rootfs {origin.path} (files only){assumed}"
    return f"{inv.host or 'this machine'} ({inv.mode})"


def headline_facts(inv: Inventory, origin: Origin | None = None) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [("Checked", checked_what(inv, origin))]
    o = inv.os
    os_text = " ".join(x for x in (o.pretty_name or o.distro_id, o.arch) if x) or (
        {"windows": "Windows", "darwin": "macOS"}.get(o.system or "", "unknown"))
    libc = f"{o.libc} {o.libc_version}" if o.libc and o.libc_version else (o.libc or "unknown")
    rows.append(("OS", f"{os_text}; kernel {o.kernel or 'unknown'}; {libc}"))
    if inv.container.in_container:
        rows.append(("Container", f"{inv.container.runtime or 'yes'} ({', '.join(inv.container.markers)})"))
    if inv.accelerators:
        for a in inv.accelerators:
            extra = ", ".join(x for x in (a.arch, f"{a.memory_mib} MiB" if a.memory_mib else None) if x)
            rows.append((f"{a.vendor.upper()} {a.kind} {a.index}", f"{a.name}" + (f" ({extra})" if extra else "")))
    else:
        rows.append(("Accelerators", "none found"))
    d = inv.nvidia.driver
    if d and (d.version or d.kernel_module_version):
        cuda = f", CUDA driver API {d.cuda_driver_version}" if d.cuda_driver_version else ""
        rows.append(("NVIDIA driver", f"{d.version or d.kernel_module_version}{cuda}"))
    elif d and inv.nvidia.toolkits and getattr(d, "status", None):
        rows.append(("NVIDIA driver", str(d.status)))
    for tk in inv.nvidia.toolkits:
        rows.append(("CUDA toolkit", f"{tk.version or 'unknown version'} at {tk.path}" + (" (active)" if tk.active else "")))
    if inv.amd.driver_version or inv.amd.rocm:
        for r in inv.amd.rocm:
            rows.append(("ROCm", f"{r.version or 'unknown version'} at {r.path}"))
    for env in inv.python:
        rows.append(("Python", f"{env.version or '?'} {env.kind or ''} at {env.prefix} ({env.selected_because})"))
        if users := [d.name for d in env.distributions if d.user_site]:
            rows.append(("  user site", f"{env.user_site}: {len(users)} distribution(s), imported first"))
        for fw in env.frameworks:
            built = f" built for {fw.runtime_kind} {fw.runtime_version}" if fw.runtime_kind and fw.runtime_version else (
                f" ({fw.runtime_kind})" if fw.runtime_kind else "")
            rows.append(("  " + fw.name, f"{fw.version}{built}"))
    return rows
