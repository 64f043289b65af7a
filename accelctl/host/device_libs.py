"""NVML and amdsmi behind one generic, recordable call shape; loaded only in a child (``device_process``).

A call is a library function name plus plain arguments; a device is named by
its index (``0``) or, for a MIG instance, ``"0:1"``. Answers are converted to
plain JSON data (ctypes structures become dicts), so the same call can be
recorded into a fixture and replayed in tests.
"""

from __future__ import annotations

from typing import Any

from accelctl.host.base import DeviceLibraryError, NotSupported


def plain(value: Any) -> Any:
    """Convert an NVML/amdsmi answer to JSON-shaped data."""
    import ctypes

    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, ctypes.Structure):
        return {name: plain(getattr(value, name)) for name, *_ in value._fields_}
    if isinstance(value, ctypes.Array):
        return [plain(v) for v in value]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "value"):  # ctypes scalars, enums
        return plain(value.value)
    return str(value)


class LiveNvml:
    """pynvml (from the nvidia-ml-py distribution), imported on first use: in the child that serves it."""

    def __init__(self) -> None:
        self._module: Any = None
        self._handles: dict[str, Any] = {}
        self._init_error: DeviceLibraryError | None = None
        self._initialised = False

    def warm_up_now(self) -> None:
        """Initialise NVML and open every GPU's handle now; failures are kept and met again by ``call``."""
        try:
            self._ensure_init()
            for index in range(int(self._module.nvmlDeviceGetCount())):
                try:
                    self._handle(index)
                except Exception:  # noqa: BLE001, S112 - one lost GPU must not keep the others' handles
                    continue
        except Exception:  # noqa: BLE001, S110 - every failure here is reported by the probe's own call
            pass

    def _load(self) -> Any:
        if self._module is None:
            try:
                import pynvml  # type: ignore[import-untyped]  # provided by nvidia-ml-py
            except ImportError as exc:
                raise NotSupported(f"the pynvml module (nvidia-ml-py) is not importable: {exc}") from None
            self._module = pynvml
        return self._module

    def _error(self, exc: Exception) -> DeviceLibraryError:
        return DeviceLibraryError("NVML", getattr(exc, "value", None), str(exc))

    def _ensure_init(self) -> None:
        if self._initialised:
            return
        if self._init_error is not None:
            raise self._init_error
        module = self._load()
        try:
            module.nvmlInit()
        except module.NVMLError as exc:
            self._init_error = self._error(exc)
            raise self._init_error from None
        except OSError as exc:  # the shared library itself failed to load
            self._init_error = DeviceLibraryError("NVML", None, f"cannot load libnvidia-ml: {exc}")
            raise self._init_error from None
        self._initialised = True

    def _handle(self, device: Any) -> Any:
        key = str(device)
        if key not in self._handles:
            module = self._module
            if ":" in key:
                gpu, mig = key.split(":", 1)
                parent = self._handle(int(gpu))
                self._handles[key] = module.nvmlDeviceGetMigDeviceHandleByIndex(parent, int(mig))
            else:
                self._handles[key] = module.nvmlDeviceGetHandleByIndex(int(key))
        return self._handles[key]

    def call(self, name: str, *args: Any) -> Any:
        if name == "nvmlInit":
            self._ensure_init()
            return None
        self._ensure_init()
        module = self._module
        func = getattr(module, name, None)
        if func is None:
            raise NotSupported(f"this nvidia-ml-py has no {name}")
        try:
            if name.startswith("nvmlDevice") and args:
                return plain(func(self._handle(args[0]), *args[1:]))
            return plain(func(*args))
        except module.NVMLError as exc:
            raise self._error(exc) from None


class LiveAmdSmi:
    """amdsmi (needs ROCm's native library), imported on first use: in the child that serves it."""

    def __init__(self) -> None:
        self._module: Any = None
        self._handles: list | None = None
        self._init_error: Exception | None = None

    def _ensure(self) -> Any:
        if self._init_error is not None:
            raise self._init_error
        if self._module is None:
            try:
                import amdsmi  # type: ignore[import-not-found]
            except ImportError as exc:
                self._init_error = NotSupported(f"amdsmi is not installed: {exc}")
                raise self._init_error from None
            except Exception as exc:  # noqa: BLE001 - its native library failed to load
                self._init_error = DeviceLibraryError("amdsmi", None, f"cannot load: {exc}")
                raise self._init_error from None
            try:
                amdsmi.amdsmi_init()
                self._handles = list(amdsmi.amdsmi_get_processor_handles())
            except Exception as exc:  # noqa: BLE001 - amdsmi raises its own error types, and more
                self._init_error = DeviceLibraryError("amdsmi", getattr(exc, "err_code", None), str(exc))
                raise self._init_error from None
            self._module = amdsmi
        return self._module

    def call(self, name: str, *args: Any) -> Any:
        module = self._ensure()
        if name == "amdsmi_init":
            return None
        if name == "device_count":
            return len(self._handles or [])
        func = getattr(module, name, None)
        if func is None:
            raise NotSupported(f"this amdsmi has no {name}")
        try:
            if args and isinstance(args[0], int) and self._handles is not None:
                return plain(func(self._handles[args[0]], *args[1:]))
            return plain(func(*args))
        except Exception as exc:  # noqa: BLE001 - any failure of one call is that call's answer
            raise DeviceLibraryError("amdsmi", getattr(exc, "err_code", None), str(exc)) from None

