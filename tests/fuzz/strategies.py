"""The fuzz suite's fixed budget and the shapes of outside input it draws from.

Every parser of outside input is given generated input; the property is always the same: it returns,
or raises only the error type it documents, within the deadline. The budget is small and fixed so
the default suite stays fast; ``ACCELCTL_FUZZ_EXAMPLES=5000`` runs a longer search locally. A failure
found this way is kept as an ``@example`` on its test.
"""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

BUDGET = settings(
    max_examples=int(os.environ.get("ACCELCTL_FUZZ_EXAMPLES", "50")),
    deadline=timedelta(seconds=5),
    database=None,  # nothing written into the checkout; a failure prints the example to keep
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# JSON values: scalars of every kind, numbers huge and tiny, containers nested a few levels.
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
    st.sampled_from(["", "1", "12.4", "550.54.15", "9.0", "nine", "[N/A]", "\x00", "\ud7ff", "gfx942", "cu124"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=5)),
    max_leaves=25,
)


def objects_with_keys(keys: list[str], values=json_values):
    """JSON objects using (some of) the field names a document really has, with values of any type."""
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), values, max_size=max(3, len(keys)))


# Text that looks like what tools print: digits, dots, commas, brackets, newlines, odd Unicode.
tool_text = st.text(
    alphabet=st.sampled_from(list("0123456789.,:;-_= \t\n[]()/#xabcdefVvNAIDuGPcl") + ["²", "٣", "\u2028", "\x00", "é"]),
    max_size=300,
) | st.text(max_size=200)
