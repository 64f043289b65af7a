"""The environment an unpacked filesystem runs with: ``--env KEY=VALUE`` and ``--env FILE`` of KEY=VALUE lines.

A rootfs carries no process environment, yet which library loads depends on it
(LD_LIBRARY_PATH, LD_PRELOAD, CONDA_PREFIX, PATH). The file format is the one
``docker run --env-file`` reads: one KEY=VALUE per line, ``#`` comments and blank
lines ignored; an ``export`` prefix and one pair of matching outer quotes are
accepted too, as shell-style files written for ``source`` have them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from accelctl.bounded import InputFileError, read_regular
from accelctl.errors import InputError

_PAIR = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
_MAX_FILE = 1 << 20


def parse_env_lines(text: str, name: str) -> dict[str, str]:
    """KEY=VALUE lines -> a mapping; a line that is neither a pair, blank nor a comment is an error naming it."""
    out: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        m = _PAIR.match(line)
        if m is None:
            raise InputError(f"{name}, line {number}: expected KEY=VALUE, got {raw.strip()[:80]!r}")
        value = m.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[m.group(1)] = value
    return out


def environment_from_options(values: Iterable[str]) -> dict[str, str]:
    """Every ``--env`` value in order (later ones win): KEY=VALUE pairs, or files of them."""
    out: dict[str, str] = {}
    for value in values:
        m = _PAIR.match(value)
        if m is not None:
            out[m.group(1)] = m.group(2)
            continue
        try:  # a regular file only: a FIFO or a device given as --env is refused instead of blocking the run
            data = read_regular(value, _MAX_FILE, "environment file")
        except InputFileError as exc:
            raise InputError(f"--env {value}: neither KEY=VALUE nor a readable file ({exc})", file=value,
                             field="--env") from None
        out.update(parse_env_lines(data.decode("utf-8", errors="replace"), f"--env {value}"))
    return out
