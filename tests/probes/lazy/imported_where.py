"""A probe module for the runner's tests: says which process imported it, when, and what it was given."""

import os
import time

IMPORTED_IN = os.getpid()
IMPORTED_AT = time.monotonic()


def probe(ctx):
    return {"imported_in": IMPORTED_IN, "imported_at": IMPORTED_AT, "ran_in": os.getpid(),
            "first": ctx.results.get("first")}
