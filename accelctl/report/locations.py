"""Where a result points in the user's repository: paths relative to the checkout, and the lines of fleet classes.

GitHub code scanning accepts only locations relative to the checkout it analyses
(an absolute ``file://`` or any other scheme is rejected on upload: "unrecognized
SARIF location URI scheme"), and rejects the whole file when a result has no
``physicalLocation.artifactLocation.uri`` (a location with logical names only is
refused: github/codeql-action#1738, #2459; the GH1001 check of microsoft/sarif-sdk).
A result about something that is no file of the checkout (the node, a snapshot
kept elsewhere) therefore points at a stand-in path under ``accelctl/``: stable
from run to run, named after what was checked, and listed by code scanning
without a code view.
https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import quote


def checkout_root(env: Mapping[str, str], cwd: str) -> str:
    """The checkout results are relative to: ``GITHUB_WORKSPACE`` in GitHub Actions, else the working directory."""
    return env.get("GITHUB_WORKSPACE") or cwd


def checkout_uri(path: str, root: str) -> str | None:
    """``path`` as a URI relative to ``root`` (forward slashes, percent-encoded), or None when it is not inside."""
    if not path:
        return None
    try:
        full = os.path.realpath(os.path.join(root, path))
        rel = os.path.relpath(full, os.path.realpath(root))
    except (OSError, ValueError):  # ValueError: another drive (Windows)
        return None
    if rel == os.curdir or rel.split(os.sep, 1)[0] == os.pardir:
        return None
    return quote(rel.replace(os.sep, "/"), safe="/")


STAND_IN_ROOT = "accelctl"


def stand_in_uri(kind: str, name: str) -> str:
    """The stand-in location of a result whose subject is not a file of the checkout: ``accelctl/KIND/NAME``."""
    cleaned = name.replace("\\", "/").strip("/").rsplit("/", 1)[-1] or kind
    return quote(f"{STAND_IN_ROOT}/{kind}/{cleaned}", safe="/")


def fleet_class_lines(path: str) -> dict[str, int]:
    """Line (1-based) of each class's entry in a fleet spec, by class name; empty when the file cannot be read.

    Read after ``load_fleet`` has accepted the file, so it only needs the YAML node tree's marks.
    """
    import yaml  # type: ignore[import-untyped]

    try:
        with open(path, "rb") as fh:
            root = yaml.compose(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError):
        return {}
    lines: dict[str, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return lines
    classes = next((v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "classes"), None)
    if not isinstance(classes, yaml.SequenceNode):
        return lines
    for item in classes.value:
        if not isinstance(item, yaml.MappingNode):
            continue
        for key, value in item.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "name" and isinstance(value, yaml.ScalarNode):
                lines.setdefault(value.value, key.start_mark.line + 1)
    return lines


def final_stage_line(dockerfile_text: str) -> int | None:
    """Line (1-based) of a Dockerfile's last ``FROM`` instruction: the final stage is the image that ships, and
    its base (with the CUDA runtime, the Python and the wheels it brings) is where a fix for the image goes.
    https://docs.docker.com/reference/dockerfile/#from"""
    found = None
    for number, line in enumerate(dockerfile_text.splitlines(), 1):
        words = line.split(None, 1)
        if words and words[0].upper() == "FROM":
            found = number
    return found
