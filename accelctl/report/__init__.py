"""Renderers: one function per output format, each taking a Report and returning text."""

from __future__ import annotations

from collections.abc import Callable

FORMATS = ("text", "json", "markdown", "sarif", "junit")


def renderer(fmt: str) -> Callable:
    """Import only the renderer asked for (rich is not loaded for --json)."""
    if fmt == "json":
        from accelctl.report.json_out import render
    elif fmt == "markdown":
        from accelctl.report.markdown import render
    elif fmt == "sarif":
        from accelctl.report.sarif import render
    elif fmt == "junit":
        from accelctl.report.junit import render
    elif fmt == "text":
        from accelctl.report.text import render
    else:
        raise ValueError(f"unknown format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    return render


__all__ = ["FORMATS", "renderer"]
