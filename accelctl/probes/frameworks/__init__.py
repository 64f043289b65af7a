"""Framework wheels: what each was built for, pins and bundles (read by the python probe, ``probe.py``)."""
