"""What a probe is, and the context it runs in.

A probe is a small named unit: it reads the machine only through its Host and
returns one inventory section. What it cannot learn it records as an Unknown
with the reason; it never raises past its boundary (the runner catches what
slips through and records that too).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import field
from typing import Any

from accelctl.host.base import Host
from accelctl.inventory.common import Unknown
from accelctl.record import record


@record
class ProbeOptions:
    """What the user asked for that changes what probes look at."""

    python: str | None = None  # --python PATH
    scan_fatbins: bool = False  # read compiled GPU code sections of large libraries
    command_timeout: float = 5.0  # seconds any one command may take
    accelctl_prefix: str | None = None  # accelctl's own venv, never mistaken for the user's


@record
class ProbeContext:
    host: Host
    options: ProbeOptions
    probe: str = ""
    results: dict[str, Any] = field(default_factory=dict)  # earlier probes' sections, by section name
    unknowns: list[Unknown] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # The run's MatrixSet (accelctl.matrices), shared with the rules so a matrix is loaded once a run.
    matrices: Any = None

    def unknown(self, fact: str, reason: str) -> None:
        """Record that ``fact`` could not be learned, and why."""
        with self._lock:
            self.unknowns.append(Unknown(self.probe, fact, reason))

    def for_probe(self, name: str) -> ProbeContext:
        """A view of this context whose unknowns are attributed to ``name``."""
        view = ProbeContext(self.host, self.options, name, self.results, self.unknowns, matrices=self.matrices)
        view._lock = self._lock
        return view

    def matrix_entries(self, name: str) -> list[Any] | None:
        """A matrix's entries, or None when it is missing or broken: a probe then reports the fact as unknown."""
        from accelctl.matrices import MatrixError, MatrixSet

        if self.matrices is None:
            self.matrices = MatrixSet()
        try:
            return list(self.matrices.entries(name))
        except MatrixError:
            return None


class LazyRun:
    """A probe's run function named by its module, imported when first needed.

    Listing the probes then imports none of them, and a runner that has to wait
    anyway (on probes in forked processes) can import a later probe's modules
    ahead with ``load``: tens of ms on a GPU node taken off the path that waits.
    """

    __slots__ = ("_loaded", "function", "module")

    def __init__(self, module: str, function: str = "probe") -> None:
        self.module = module
        self.function = function
        self._loaded: Callable[[ProbeContext], Any] | None = None

    def load(self) -> Callable[[ProbeContext], Any]:
        if self._loaded is None:
            self._loaded = getattr(importlib.import_module(self.module), self.function)
        return self._loaded

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def __call__(self, ctx: ProbeContext) -> Any:
        return self.load()(ctx)

    def __repr__(self) -> str:
        return f"LazyRun({self.module!r}, {self.function!r})"


@record
class Probe:
    name: str
    section: str  # the Inventory field this probe fills
    run: Callable[[ProbeContext], Any]  # a function, or a LazyRun naming one
    requires: tuple[str, ...] = ()  # sections that must be filled first
    timeout: float = 10.0
    needs_commands: bool = False  # skipped (with a reason) on hosts that cannot run commands
    own_process: bool = False  # worth a forked process where the host allows and CPUs are spare (probes.forked)
    matrices: tuple[str, ...] = ()  # the matrices run reads (ProbeContext.matrix_entries), loaded ahead by prepare

    @property
    def prepared(self) -> bool:
        """Whether running it now imports nothing more (a plain function, or a LazyRun already loaded)."""
        return bool(getattr(self.run, "loaded", True))

    def prepare(self, matrices: Any = None) -> None:
        """Import what ``run`` needs and load its matrices into ``matrices`` (the run's MatrixSet), ahead of
        running it. A matrix that fails to load is left for the probe, which reports it as it would anyway."""
        load = getattr(self.run, "load", None)
        if load is not None:
            load()
        if matrices is None:
            return
        for name in self.matrices:
            matrices.entries_or_empty(name)
