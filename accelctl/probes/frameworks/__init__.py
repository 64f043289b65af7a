"""Framework wheels: what each was built for, pins and bundles (the frameworks probe, ``probe.py``).

Kept empty of imports: the python probe reads the framework names (``names.py``)
without loading the readers, packaging's marker parser or the matrices, which
only the frameworks probe needs.
"""
