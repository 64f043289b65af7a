"""Regenerate ``matrices/*.yaml`` from the sources that define them.

    python -m tools.refresh [TABLE ...] [--check]

Run by maintainers only (never by ``accelctl doctor``). Each table is one module
exposing ``refresh(today) -> dict``: a whole matrix document whose entries carry
the URL (and commit) they were read from and the date it was read. Sources that
cannot be read at refresh time are kept as dated copies under ``sources/``.
"""
