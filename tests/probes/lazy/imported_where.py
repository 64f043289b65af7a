"""A probe module for the runner's tests: says which process imported it."""

import os

IMPORTED_IN = os.getpid()


def probe(ctx):
    return IMPORTED_IN
