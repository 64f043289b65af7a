"""Intel XPU rules."""

from __future__ import annotations

from collections.abc import Iterator

from accelctl.findings import Evidence, FixStep
from accelctl.rules.base import CannotDecide, Hit, RuleContext, rule
from accelctl.rules.facts import dists, pip, public


@rule("XPU001", "ipex-torch-mismatch", "error", decides_on=("IPEX version", "torch version"))
def ipex_torch_mismatch(ctx: RuleContext) -> Iterator[Hit | CannotDecide]:
    """intel-extension-for-pytorch does not match the installed torch.

    Each IPEX release is built for one torch minor release and refuses to load
    with another ("Intel Extension for PyTorch needs to work with PyTorch
    X.Y.*"). Install the IPEX release for your torch, or the torch its release needs.
    """
    for env in ctx.inventory.python:
        installed = dists(env)
        ipex, torch = installed.get("intel-extension-for-pytorch"), installed.get("torch")
        if ipex is None or torch is None:
            continue
        from accelctl.matrices.subjects.intel_xpu import ipex_torch_ok
        from accelctl.plan.install import python_check

        ok = ipex_torch_ok(ipex.version, torch.version)
        if ok is None:
            yield CannotDecide(f"Which torch intel-extension-for-pytorch {ipex.version} needs cannot be read from its "
                               f"version, so its pairing with torch {torch.version} cannot be decided.",
                               missing=[f"the torch release IPEX {ipex.version} was built for"],
                               settle=["a matrices refresh"], subject=f"IPEX in {env.prefix}")
            continue
        if ok is not False:
            continue
        major_minor = ".".join(public(ipex.version).split(".")[:2])
        yield Hit(f"intel-extension-for-pytorch {ipex.version} needs torch {major_minor}.*, but torch {torch.version} is installed.",
                  subject=f"IPEX in {env.prefix}",
                  evidence=[Evidence("intel-extension-for-pytorch", ipex.version, ipex.location or ""),
                            Evidence("torch", torch.version, torch.location or "")],
                  fixes=[FixStep(f"Install torch {major_minor}.* for this IPEX",
                                 commands=[pip(env, "install", f"torch=={major_minor}.*", "--index-url", "https://download.pytorch.org/whl/xpu")],
                                 why="IPEX is compiled against one torch minor release", risks=["changes-environment", "downloads"],
                                 verify=python_check(env, "import torch, intel_extension_for_pytorch as ipex; print(torch.__version__, ipex.__version__)"))])
