"""Errors of accelctl's own that the user can fix; the CLI maps them to exit code 2."""

from __future__ import annotations


class InputError(Exception):
    """A user-supplied file or argument is unusable; the message names it."""
