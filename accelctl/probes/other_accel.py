"""Google TPUs, AWS Neuron (Inferentia/Trainium) and Intel Gaudi: detection plus versions.

Each is recognised by its PCI vendor *and* device id (Google's and Amazon's
vendor ids also cover their virtual NICs and disks), or by device nodes only
its own driver creates (/dev/neuron*). Sources of the id tables:
TPU: jax/_src/hardware_utils.py (_TPU_PCI_DEVICE_IDS); Neuron: aws-neuron-driver
neuron_pci.c (AMZN_VENDOR_ID, INF1/INF2/TRN1/TRN2_DEVICE_ID*); Gaudi: Linux
drivers/accel/habanalabs/common/habanalabs_drv.c (PCI_IDS_*).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from accelctl.host.base import HostError, NotSupported
from accelctl.inventory.other import OtherAccelerator
from accelctl.probes.base import ProbeContext
from accelctl.probes.intel.pci import PciDevice, scan

GOOGLE, AMAZON, HABANA = "0x1ae0", "0x1d0f", "0x1da3"
TPU_IDS = {"0x0027": "v3", "0x0056": "plc", "0x005e": "v4", "0x0062": "v5p", "0x0063": "v5e", "0x006f": "v6e",
           "0x0076": "tpu7x"}
NEURON_IDS = {"0x7064": "inf1", "0x7065": "inf1", "0x7066": "inf1", "0x7067": "inf1", "0x7264": "inf2",
              "0x7164": "trn1", "0x7364": "trn2"}
GAUDI_IDS = {"0x0001": "goya", "0x1000": "gaudi", "0x1001": "gaudi", "0x1010": "gaudi", "0x1011": "gaudi",
             "0x1020": "gaudi2", "0x1021": "gaudi2", "0x1060": "gaudi3", "0x1062": "gaudi3", "0x1063": "gaudi3"}
TPU_WHEELS = ("libtpu", "libtpu-nightly", "jax", "jaxlib", "torch-xla", "tensorflow-tpu")
NEURON_WHEELS = ("torch-neuronx", "neuronx-cc", "libneuronxla", "neuronx-distributed", "torch-xla", "jax-neuronx",
                 "transformers-neuronx", "torch-neuron", "neuron-cc")
NEURON_DEBS = ("aws-neuronx-dkms", "aws-neuronx-runtime-lib", "aws-neuronx-collectives", "aws-neuronx-tools")
GAUDI_WHEELS = ("habana-torch-plugin", "habana-torch-dataloader", "habana-pyhlml", "habana-media-loader")
_NUMBERED = re.compile(r"^(accel|neuron)\d+$")


def _devices(host: Any, folder: str, prefix: str) -> list[str]:
    try:
        names = [e.name for e in host.list_dir(folder)]
    except HostError:
        return []
    found = [n for n in names if n.startswith(prefix) and n[len(prefix):].isdigit()]
    return [posixpath.join(folder, n) for n in sorted(found, key=lambda n: int(n[len(prefix):]))]


def _module_version(host: Any, module: str) -> str | None:
    try:
        return host.read_text(f"/sys/module/{module}/version", 256).strip() or None
    except HostError:
        return None


def _wheels(penvs: list[Any], names: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for penv in penvs:
        for d in getattr(penv, "distributions", []):
            key = d.name.lower().replace("_", "-")
            if key in names and key not in out:
                out[key] = d.version
    return out


def parse_dpkg_status(text: str, names: tuple[str, ...]) -> dict[str, str]:
    """Versions of installed ``names`` from /var/lib/dpkg/status (paragraphs of "Field: value")."""
    out: dict[str, str] = {}
    for para in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in para.splitlines() if ": " in line and not line.startswith(" "))
        pkg = fields.get("Package")
        if pkg in names and "installed" in fields.get("Status", "") and "Version" in fields:
            out[pkg] = fields["Version"]
    return out


def _model(devs: list[PciDevice], table: dict[str, str]) -> str | None:
    models = sorted({table[d.device] for d in devs if d.device in table})
    return "/".join(models) if models else None


def tpu(host: Any, pci: list[PciDevice], penvs: list[Any]) -> OtherAccelerator | None:
    chips = [d for d in pci if d.vendor == GOOGLE and d.device in TPU_IDS]
    if not chips:
        return None
    nodes = _devices(host, "/dev", "accel") or _devices(host, "/dev/vfio", "")
    return OtherAccelerator(vendor="google", kind="tpu", devices=nodes, model=_model(chips, TPU_IDS),
                            runtime_versions=_wheels(penvs, TPU_WHEELS), source="sysfs PCI 0x1ae0",
                            pci_devices=[d.label() for d in chips], model_source="PCI device id")


def neuron(ctx: ProbeContext, pci: list[PciDevice], penvs: list[Any]) -> OtherAccelerator | None:
    host = ctx.host
    chips = [d for d in pci if d.vendor == AMAZON and d.device in NEURON_IDS]
    nodes = _devices(host, "/dev", "neuron")
    if not chips and not nodes:
        return None
    driver = _module_version(host, "neuron")
    runtime = _wheels(penvs, NEURON_WHEELS)
    try:
        runtime.update(parse_dpkg_status(host.read_text("/var/lib/dpkg/status", 32 << 20), NEURON_DEBS))
    except HostError:
        pass
    for lib in _neuron_libs(host):
        runtime.setdefault(lib[0], lib[1])
    if driver is None:
        ctx.unknown("other.neuron.driver", "/sys/module/neuron/version is absent: the neuron (aws-neuronx-dkms) module is not loaded")
    return OtherAccelerator(vendor="aws", kind="neuron", devices=nodes, model=_model(chips, NEURON_IDS),
                            driver_version=driver, runtime_versions=dict(sorted(runtime.items())),
                            source="sysfs PCI 0x1d0f" if chips else "/dev/neuron*", pci_devices=[d.label() for d in chips],
                            driver_source="/sys/module/neuron/version" if driver else "",
                            model_source="PCI device id" if chips else "")


def _neuron_libs(host: Any) -> list[tuple[str, str]]:
    """libnrt.so.<version> (Neuron runtime) and libnccom.so.<version> (collectives) under /opt/aws/neuron/lib."""
    out: list[tuple[str, str]] = []
    try:
        names = [e.name for e in host.list_dir("/opt/aws/neuron/lib")]
    except HostError:
        return out
    for key, prefix in (("libnrt", "libnrt.so."), ("libnccom", "libnccom.so.")):
        versions = [n[len(prefix):] for n in names if n.startswith(prefix)]
        if versions:
            out.append((key, max(versions, key=lambda v: (v.count("."), v))))
    return out


def gaudi(ctx: ProbeContext, pci: list[PciDevice], penvs: list[Any]) -> OtherAccelerator | None:
    host = ctx.host
    chips = [d for d in pci if d.vendor == HABANA]
    driver = _module_version(host, "habanalabs")
    if not chips and driver is None:
        return None  # /dev/accel/accel* alone is any DRM accel device (Intel NPUs too)
    nodes = _devices(host, "/dev/accel", "accel")
    runtime = _wheels(penvs, GAUDI_WHEELS)
    model = _model(chips, GAUDI_IDS)
    if host.can_run_commands and host.which("hl-smi"):
        try:
            res = host.run(["hl-smi", "-Q", "name,driver_version", "-f", "csv,noheader"], timeout=ctx.options.command_timeout)
        except NotSupported:
            res = None
        if res is not None and res.ok:
            first = res.stdout.strip().splitlines()[:1]
            fields = [f.strip() for f in first[0].split(",")] if first else []
            if len(fields) >= 2 and driver is None:
                driver = fields[1]
        elif res is not None and not res.missing:
            ctx.unknown("other.gaudi.hl_smi", res.why_failed())
    return OtherAccelerator(vendor="habana", kind="hpu", devices=nodes, model=model, driver_version=driver,
                            runtime_versions=runtime, source="sysfs PCI 0x1da3" if chips else "/sys/module/habanalabs",
                            pci_devices=[d.label() for d in chips],
                            driver_source="/sys/module/habanalabs/version" if driver else "",
                            model_source="PCI device id" if model else "")


def probe(ctx: ProbeContext) -> list[OtherAccelerator]:
    host = ctx.host
    pci = scan(host, [GOOGLE, AMAZON, HABANA])
    penvs: Any = ctx.results.get("python") or []
    penvs = penvs if isinstance(penvs, list) else []
    out = [x for x in (tpu(host, pci, penvs), neuron(ctx, pci, penvs), gaudi(ctx, pci, penvs)) if x is not None]
    if not any(x.kind == "tpu" for x in out) and _devices(host, "/dev", "accel") and _wheels(penvs, ("libtpu",)):
        ctx.unknown("other.tpu", "/dev/accel* and libtpu are present but no TPU PCI device is visible (is /sys mounted?)")
    return out
