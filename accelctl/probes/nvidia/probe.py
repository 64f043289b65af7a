"""The nvidia probe: driver, GPUs, CUDA toolkits, native libraries, what torch loads, the container view.

NVML answers first; nvidia-smi is spawned only when NVML cannot answer, and
always with ``ctx.options.command_timeout``. The probe's independent commands
(nvidia-smi, nv-fabricmanager, each toolkit's nvcc, the host gcc) start side by
side and are read back in a fixed order, so a machine of wedged tools costs about
one command timeout and the report reads the same on every run. The ld.so.cache
is read once and libraries are read only as far as their ELF headers and dynamic
sections.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import closing
from typing import Any

from accelctl.host.base import CommandResult, DeviceLibraryError, HostError, NotSupported
from accelctl.inventory.nvidia import (
    ContainerRuntimeView,
    CudaToolkit,
    NvidiaDriver,
    NvidiaGpu,
    NvidiaInfo,
)
from accelctl.probes.base import ProbeContext
from accelctl.probes.commands import Commands
from accelctl.probes.nvidia import container_view
from accelctl.probes.nvidia import driver as drv
from accelctl.probes.nvidia import gpus as gpu_mod
from accelctl.probes.nvidia import libraries as libs
from accelctl.probes.nvidia import toolkit as tk
from accelctl.probes.nvidia.ldcache import CacheEntry, CacheFormatError, parse_ld_cache
from accelctl.probes.nvidia.loading import probe_resolutions
from accelctl.probes.nvidia.resolution import resolve

LD_CACHE = "/etc/ld.so.cache"


class _Files:
    """Memoised existence checks (the resolver asks the same paths many times)."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self._seen: dict[str, bool] = {}

    def __call__(self, path: str) -> bool:
        if path not in self._seen:
            self._seen[path] = self.host.is_file(path)
        return self._seen[path]


def read_cache(ctx: ProbeContext) -> list[CacheEntry]:
    try:
        return parse_ld_cache(ctx.host.read_bytes(LD_CACHE, 32 << 20))
    except HostError as exc:
        ctx.unknown("nvidia.ld_cache", f"{LD_CACHE}: {exc}")
    except (CacheFormatError, ValueError) as exc:
        ctx.unknown("nvidia.ld_cache", f"{LD_CACHE} is not a readable cache: {exc}")
    return []


def _output(ctx: ProbeContext, argv: tuple[str, ...], result: CommandResult | None) -> str | None:
    """A command's output, or None; a command that is there but failed is an unknown with the reason."""
    if result is None:
        return None
    if result.ok:
        return result.stdout
    if not result.missing:
        ctx.unknown("nvidia.nvidia_smi", f"{' '.join(argv[:2])}: {result.why_failed()}")
    return None


def _driver_signs(host: Any, cache: list[CacheEntry]) -> bool:
    """Any sign of an NVIDIA driver: its /proc folder, its control device, or libnvidia-ml known to the loader."""
    if host.exists("/proc/driver/nvidia") or host.exists("/dev/nvidiactl") or host.exists("/dev/nvidia0"):
        return True
    if any(e.soname.startswith("libnvidia-ml.so") for e in cache):
        return True
    for folder in host.env.get("LD_LIBRARY_PATH", "").split(":"):
        if folder.startswith("/") and host.exists(folder.rstrip("/") + "/libnvidia-ml.so.1"):
            return True
    return False


def probe_driver(ctx: ProbeContext, cache: list[CacheEntry], exists: _Files,
                 commands: Commands) -> tuple[NvidiaDriver, bool, list[NvidiaGpu]]:
    """(driver, NVML answered, GPUs)."""
    host = ctx.host
    nvml_ok, nvml_error, nvml_code = False, None, None
    if not _driver_signs(host, cache):
        # No kernel module, no device node, no libnvidia-ml: loading pynvml and NVML would only fail, slowly.
        ctx.unknown("nvidia.nvml", "not queried: no /proc/driver/nvidia, /dev/nvidiactl or libnvidia-ml.so.1 on this machine")
    else:
        try:
            host.nvml("nvmlInit")
            nvml_ok = True
        except DeviceLibraryError as exc:
            nvml_error, nvml_code = exc.message, exc.code
        except (NotSupported, HostError) as exc:
            ctx.unknown("nvidia.nvml", f"NVML not available: {exc}")
    version = cuda = nvml_version = None
    gpus: list[NvidiaGpu] = []
    if nvml_ok:
        version, err = drv.nvml_call(host, "nvmlSystemGetDriverVersion")
        if err is not None and err.code == drv.NVML_ERROR_LIB_RM_VERSION_MISMATCH:
            nvml_ok, nvml_error, nvml_code = False, err.message, err.code
        elif err is not None:
            ctx.unknown("nvidia.nvml", f"NVML started but did not give the driver version: {err}")
    if nvml_ok:
        raw, _ = drv.nvml_call(host, "nvmlSystemGetCudaDriverVersion_v2")
        if raw is None:
            raw, _ = drv.nvml_call(host, "nvmlSystemGetCudaDriverVersion")
        cuda = drv.cuda_version_from_int(raw)
        nvml_version, _ = drv.nvml_call(host, "nvmlSystemGetNVMLVersion")
        count, _ = drv.nvml_call(host, "nvmlDeviceGetCount")
        gpus = gpu_mod.gpus_from_nvml(host, int(count or 0))
    elif nvml_error:
        ctx.unknown("nvidia.nvml", f"NVML failed: {nvml_error}" + (f" (code {nvml_code})" if nvml_code is not None else ""))

    kver, flavor, ksource = drv.read_kernel_module(host)
    hit = resolve("libcuda.so.1", exists, env=host.env, cache=cache, all_candidates=False)
    lib_path = lib_version = None
    lib_source = ""
    if hit.path:
        real = host.realpath(hit.path)
        lib_version = drv.libcuda_version_from_name(real)
        lib_path, lib_source = real, f"libcuda.so.1 via {hit.via}"
    if lib_version is None:
        found_path, found_version = drv.libcuda_from_dirs(host)
        if found_version:
            lib_path, lib_version, lib_source = found_path, found_version, "driver library folders"

    version_source = "NVML" if version else ""
    if not nvml_ok and not gpus:
        gpus = gpu_mod.gpus_from_proc(host)
    smi_rows: list[dict] = []
    if not nvml_ok and (kver or lib_version or host.which("nvidia-smi")):
        out = _output(ctx, drv.SMI_QUERY, commands.run(drv.SMI_QUERY))
        smi_rows = drv.parse_smi_csv(out or "")
        if out is not None and cuda is None:
            header = _output(ctx, ("nvidia-smi",), commands.run(("nvidia-smi",)))
            smi_driver, smi_cuda = drv.parse_smi_header(header or "")
            cuda = smi_cuda
            version = version or smi_driver
            version_source = version_source or ("nvidia-smi" if smi_driver else "")
        if not gpus:
            gpus = gpu_mod.gpus_from_smi(smi_rows)
        if version is None and smi_rows and smi_rows[0].get("driver_version"):
            version, version_source = smi_rows[0]["driver_version"], "nvidia-smi"
    if version is None and kver:
        version, version_source = kver, ksource
    mismatch: bool | None = None
    if kver and lib_version:
        mismatch = kver != lib_version
    if nvml_code == drv.NVML_ERROR_LIB_RM_VERSION_MISMATCH:
        mismatch = True
    if kver or nvml_ok:
        status = "loaded"
    elif lib_version:
        status = "userspace only"
    elif host.can_query_devices:  # a live machine or a recording of one (an image rootfs cannot tell)
        status = "no driver loaded"
    else:
        status = "unknown"
    if not kver and not nvml_ok:
        ctx.unknown("nvidia.driver.kernel_module", "no NVIDIA kernel module: /proc/driver/nvidia/version is absent")
    driver = NvidiaDriver(
        version=version, version_source=version_source, kernel_module_version=kver, kernel_module_flavor=flavor,
        libcuda_version=lib_version, libcuda_path=lib_path, cuda_driver_version=cuda,
        cuda_driver_version_source=("NVML" if nvml_ok and cuda else ("nvidia-smi" if cuda else "")),
        nvml_error=nvml_error, loaded=bool(kver or nvml_ok) if (kver or nvml_ok or status == "no driver loaded") else None,
        status=status, kernel_module_source=ksource, libcuda_source=lib_source, userspace_mismatch=mismatch,
        nvml_error_code=nvml_code, nvml_version=nvml_version)
    return driver, nvml_ok, gpus


def probe_fabric_manager(ctx: ProbeContext, commands: Commands) -> Callable[[str | None], tuple[str | None, str, bool | None]]:
    """Start ``nv-fabricmanager --version``; the function returned reads it and, given the driver's version,
    gives (version, source, whether it matches the driver)."""
    host = ctx.host
    binary = host.which("nv-fabricmanager") or next(
        (p for p in ("/usr/bin/nv-fabricmanager", "/usr/sbin/nv-fabricmanager") if host.exists(p)), None)
    started = commands.start((binary, "--version")) if binary else None

    def finish(driver_version: str | None) -> tuple[str | None, str, bool | None]:
        if not binary or started is None:
            ctx.unknown("nvidia.fabric_manager", "NVSwitch present but nv-fabricmanager is not installed")
            return None, "", None
        out = _output(ctx, (binary, "--version"), started.result())
        version = drv.parse_fabric_manager_version(out or "")
        if version is None:
            ctx.unknown("nvidia.fabric_manager.version", f"{binary} --version gave no version")
            return None, binary, None
        return version, f"{binary} --version", (version == driver_version) if driver_version else None

    return finish


def _python_envs(ctx: ProbeContext) -> list[Any]:
    value = ctx.results.get("python")
    return list(value) if isinstance(value, list) else []


def probe_toolkits(ctx: ProbeContext, penvs: list[Any], commands: Commands) -> Callable[[], list[CudaToolkit]]:
    """Find the toolkits and read their files now, starting nvcc where the files are silent and the host
    compiler's version query; the function returned reads them and gives the toolkits, in the order found."""
    host = ctx.host
    found_by: dict[str, list[str]] = {}
    origins: dict[str, str] = {}
    for root, origin, why in tk.candidates(host, penvs):
        if not host.is_dir(root):
            continue
        real = host.realpath(root)
        if not (tk.looks_like_toolkit(host, real) or origin != "system" and host.exists(posixpath.join(real, "bin", "nvcc"))):
            continue
        found_by.setdefault(real, []).append(why)
        origins.setdefault(real, origin)

    from_files = {root: tk.version_from_files(host, root, origins[root], penvs) for root in found_by}
    nvcc_runs: dict[str, Future[CommandResult | None]] = {}
    for root, (version, _) in from_files.items():
        nvcc = posixpath.join(root, "bin", "nvcc")
        if version is None and host.exists(nvcc):
            nvcc_runs[nvcc] = commands.start((nvcc, "--version"))
    active, active_why = tk.choose_active(host, [], found_by)
    host_gcc = commands.call(tk.host_gcc_version, host, commands.run) if active is not None else None

    def run_nvcc(nvcc: str) -> str | None:
        started = nvcc_runs.get(nvcc)
        result = started.result() if started is not None else commands.run((nvcc, "--version"))
        return tk.parse_nvcc_version(_output(ctx, (nvcc, "--version"), result) or "")

    def finish() -> list[CudaToolkit]:
        out = []
        for root in found_by:
            t = tk.describe(host, root, origins[root], run_nvcc, penvs, from_files[root])
            if t.version is None:
                ctx.unknown(f"nvidia.toolkit.{root}", "no version.json, version.txt, nvcc dist-info, working nvcc or libcudart file name")
            t = dataclasses.replace(t, active=root == active, active_because=active_why if root == active else None)
            if t.active and host_gcc is not None:
                t = _with_host_gcc(ctx, t, host_gcc.result())
            out.append(t)
        return out

    return finish


def _with_host_gcc(ctx: ProbeContext, t: CudaToolkit, found: tuple[str | None, str, str | None]) -> CudaToolkit:
    """The active toolkit with the version of the host gcc its nvcc would use (rule TK002): ``found`` is
    ``toolkit.host_gcc_version``'s answer."""
    version, source, why = found
    if version is None:
        ctx.unknown("nvidia.toolkit.host_gcc", (why or "the host compiler's version could not be learned")
                    + (f" (compiler from {source})" if source else ""))
        return t
    return dataclasses.replace(t, host_gcc=version, host_gcc_source=source)


def probe_libraries(ctx: ProbeContext, cache: list[CacheEntry], toolkits: list[CudaToolkit],
                    penvs: list[Any]) -> libs.LibraryScanner:
    host = ctx.host
    scan = libs.LibraryScanner(host)
    roots = [t.path for t in toolkits]
    for e in cache:
        library = libs.classify(e.soname)
        if library and e.soname == libs.soname_of(e.soname):
            scan.add(e.path, library, libs.origin_of(host.realpath(e.path), roots))
    for folder in host.env.get("LD_LIBRARY_PATH", "").split(":"):
        if folder.startswith("/"):
            scan.scan_dir(folder, libs.origin_of(folder + "/", roots))
    for folder in libs.STANDARD_DIRS:
        scan.scan_dir(folder, libs.origin_of(folder + "/", roots))
    for t in toolkits:
        if t.origin == "system":
            for sub in ("lib64", "lib", "targets/x86_64-linux/lib", "targets/sbsa-linux/lib"):
                scan.scan_dir(posixpath.join(t.path, sub), "toolkit")
    for penv in penvs:
        for site in penv.site_packages:
            for e in scan.listing(posixpath.join(site, "nvidia")):
                if e.is_dir:
                    scan.scan_dir(posixpath.join(site, "nvidia", e.name, "lib"), "wheel", dists=penv.distributions)
            for fw in ("torch", "jaxlib", "tensorflow"):
                scan.scan_dir(posixpath.join(site, fw, "lib"), "bundled", provider=_dist(penv, fw))
    conda = host.env.get("CONDA_PREFIX")
    if conda:
        scan.scan_dir(posixpath.join(conda, "lib"), "conda")
    return scan


def _dist(penv: Any, name: str) -> tuple[str, str] | None:
    for d in penv.distributions:
        if d.name.lower() == name:
            return d.name, d.version
    return None


def probe_container(ctx: ProbeContext, driver: NvidiaDriver, gpus: list[NvidiaGpu],
                    toolkits: list[CudaToolkit]) -> ContainerRuntimeView | None:
    host = ctx.host
    env = host.env
    reqs, disabled = container_view.requirements_from_env(env)
    compat_dir, compat_version = tk.compat_libcuda(host, "/usr/local/cuda")
    if not compat_dir:
        for t in toolkits:
            if t.compat_path:
                compat_dir, compat_version = t.compat_path, t.compat_version
                break
    if not reqs and not compat_dir:
        return None
    host_driver = driver.kernel_module_version or driver.version
    brand = next((g.brand for g in gpus if g.brand), None)
    cc = next((g.compute_capability for g in gpus if g.compute_capability), None)
    met, detail = (None, "NVIDIA_DISABLE_REQUIRE is set: the runtime skips the check") if disabled else \
        container_view.evaluate(reqs, {"cuda": driver.cuda_driver_version, "driver": host_driver, "brand": brand, "arch": cc})
    if not reqs:
        detail = ""
    compat_path = None
    if compat_dir and compat_version:
        compat_path = posixpath.join(compat_dir, f"libcuda.so.{compat_version}")
    real_compat_dir = host.realpath(compat_dir) if compat_dir else None
    in_use, ok, why = container_view.compat_judgement(compat_version, host_driver, brand, driver.libcuda_path,
                                                      real_compat_dir, env.get("LD_LIBRARY_PATH", ""))
    return ContainerRuntimeView(require=reqs, require_disabled=disabled, require_met=met if reqs else None,
                                require_detail=detail, compat_libcuda=compat_path, compat_version=compat_version,
                                compat_in_use=in_use, compat_ok=ok, compat_detail=why)


def probe(ctx: ProbeContext) -> NvidiaInfo:
    host = ctx.host
    cache = read_cache(ctx)
    exists = _Files(host)
    with closing(Commands(host, ctx.options.command_timeout)) as commands:
        # The commands of the toolkits and the fabric manager start first and wait in the background while
        # the driver's are run; every result is read back in the order of the report.
        penvs = _python_envs(ctx)
        found_toolkits = probe_toolkits(ctx, penvs, commands)
        nvswitch = gpu_mod.nvswitch_present(host)
        fabric_manager = probe_fabric_manager(ctx, commands) if nvswitch else None
        driver, nvml_ok, gpus = probe_driver(ctx, cache, exists, commands)
        fm_required = True if nvswitch else (False if nvswitch is False else None)
        if fabric_manager is not None:
            fm_version, fm_source, fm_match = fabric_manager(driver.version)
            driver = dataclasses.replace(driver, fabric_manager_version=fm_version, fabric_manager_source=fm_source,
                                         fabric_manager_matches_driver=fm_match)
        toolkits = found_toolkits()
    scan = probe_libraries(ctx, cache, toolkits, penvs)
    resolutions = probe_resolutions(ctx, cache, exists, scan, penvs)
    cdi = container_view.read_cdi_specs(host, driver.kernel_module_version or driver.version)
    view = probe_container(ctx, driver, gpus, toolkits)
    present = bool(gpus or nvml_ok or driver.kernel_module_version or host.exists("/dev/nvidiactl"))
    return NvidiaInfo(present=present, driver=driver, gpus=gpus, nvswitch_present=nvswitch, toolkits=toolkits,
                      libraries=scan.libraries(), resolutions=resolutions, cdi_specs=cdi, container=view,
                      fabric_manager_required=fm_required)
