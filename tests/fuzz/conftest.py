"""The fuzz suite runs under a 2 GiB address-space limit: an input that makes a parser allocate without
bound fails as a MemoryError here instead of passing on a machine with memory to spare."""

from __future__ import annotations

import resource

import psutil
import pytest

LIMIT = 2 << 30


@pytest.fixture(autouse=True, scope="package")
def address_space_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    in_use = psutil.Process().memory_info().vms
    if in_use > LIMIT * 3 // 4 or (hard != resource.RLIM_INFINITY and hard < LIMIT):
        yield  # this process already maps too much for the limit to mean anything (or may not lower it)
        return
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, hard))  # the soft limit only: raised again below
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def limit_in_force() -> bool:
    return resource.getrlimit(resource.RLIMIT_AS)[0] == LIMIT
