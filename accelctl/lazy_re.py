"""Regular expressions compiled on first use, not at import.

accelctl has about a hundred module-level patterns; compiling them all at
import cost ~25 ms of every start, though one run uses a fraction of them.
"""

from __future__ import annotations

import re
from typing import Any


class LazyPattern:
    """Stands in for ``re.compile(pattern, flags)``; compiles when first used (thread-safe enough:
    two threads may both compile, and both get the same pattern)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        c = self._compiled
        if c is None:
            c = self._compiled = re.compile(self._pattern, self._flags)
            # From now on calls go straight to the compiled pattern (instance attributes shadow the methods).
            self.__dict__.update(match=c.match, fullmatch=c.fullmatch, search=c.search, finditer=c.finditer,
                                 findall=c.findall, sub=c.sub, split=c.split)
        return c

    def match(self, *args: Any) -> Any:
        return self.compiled().match(*args)

    def fullmatch(self, *args: Any) -> Any:
        return self.compiled().fullmatch(*args)

    def search(self, *args: Any) -> Any:
        return self.compiled().search(*args)

    def finditer(self, *args: Any) -> Any:
        return self.compiled().finditer(*args)

    def findall(self, *args: Any) -> Any:
        return self.compiled().findall(*args)

    def sub(self, *args: Any) -> Any:
        return self.compiled().sub(*args)

    def split(self, *args: Any) -> Any:
        return self.compiled().split(*args)

    def __getattr__(self, name: str) -> Any:  # .pattern, .groups, .subn ...
        return getattr(self.compiled(), name)

    def __repr__(self) -> str:
        return f"LazyPattern({self._pattern!r})"


def lazy_compile(pattern: str, flags: int = 0) -> LazyPattern:
    return LazyPattern(pattern, flags)
