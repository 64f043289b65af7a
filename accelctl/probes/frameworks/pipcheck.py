"""A focused ``pip check``: unmet Requires-Dist of the accelerator packages of one environment.

Conflicts (a required distribution installed at another version) are reported
for every requirement; missing distributions only for the accelerator stack
(nvidia-*, triton, torch, jaxlib ...).

Like pip's own check, only the base requirements count (extras are not known
to have been asked for), markers are evaluated for the inspected interpreter,
and pre-releases satisfy a specifier. Unlike it, only the packages that decide
whether accelerated code runs are looked at, and nothing is imported or run.
An extra named on a requirement (``cuda-toolkit[cublas]==13.0.2``) is followed
one level: the meta-package's pins for that extra must hold too.
"""

from __future__ import annotations

from packaging.version import InvalidVersion

from accelctl.inventory.python_env import Distribution, RequirementProblem
from accelctl.probes.frameworks.common import (
    ACCELERATOR_PACKAGES,
    MarkerEnv,
    applies,
    extra_only,
    is_stack_name,
    norm,
    parse_requirement,
)


def _check_line(requirer: Distribution, line: str, installed: dict[str, Distribution], menv: MarkerEnv,
                extras=("",)) -> list[RequirementProblem]:
    req = parse_requirement(line)
    if req is None or not applies(req, menv, extras):
        return []
    name = norm(req.name)
    have = installed.get(name)
    text = f"{req.name}{'[' + ','.join(sorted(req.extras)) + ']' if req.extras else ''}{req.specifier}"
    if have is None:
        # Missing: reported for the accelerator stack only (numpy, requests ... are pip's business).
        if is_stack_name(name) or name in ACCELERATOR_PACKAGES:
            return [RequirementProblem(requirer.name, requirer.version, text, name, None, "missing")]
        return []
    out: list[RequirementProblem] = []
    try:
        ok = not req.specifier or req.specifier.contains(have.version, prereleases=True)
    except InvalidVersion:
        ok = True
    if not ok:
        out.append(RequirementProblem(requirer.name, requirer.version, text, name, have.version, "conflict"))
    for extra in sorted(req.extras):
        for sub in have.requires:
            r = parse_requirement(sub)
            if r is not None and extra_only(r, extra, menv):
                for p in _check_line(have, sub, installed, menv, (extra,)):
                    out.append(RequirementProblem(requirer.name, requirer.version, f"{text} -> {p.requirement}",
                                                  p.name, p.installed, p.kind))
    return out


def check(distributions: list[Distribution], menv: MarkerEnv) -> list[RequirementProblem]:
    """Every unmet requirement of an installed accelerator package, sorted by requirer then name."""
    installed = {norm(d.name): d for d in distributions}
    problems: list[RequirementProblem] = []
    for dist in distributions:
        if norm(dist.name) not in ACCELERATOR_PACKAGES:
            continue
        for line in dist.requires:
            problems.extend(_check_line(dist, line, installed, menv))
    seen = set()
    out = []
    for p in sorted(problems, key=lambda p: (norm(p.requirer), p.name, p.requirement)):
        key = (p.requirer, p.requirement)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
