"""The CI gate: an image's userspace checked against every node class of a fleet."""
