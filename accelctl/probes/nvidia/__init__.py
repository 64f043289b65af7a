"""The NVIDIA stack: driver, GPUs, toolkits, libraries and what the loader resolves (the nvidia probe, ``probe.py``).

Kept empty of imports: the frameworks probe reads ELF files through ``elf.py``
and the rules use ``container_view.py`` without loading the whole probe.
"""
