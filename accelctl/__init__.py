"""accelctl: a runtime compatibility doctor for AI accelerator nodes."""

__version__ = "0.1.0"
