"""The environment variables that change what accelerators and frameworks do."""

from __future__ import annotations

import re

from accelctl.probes.base import ProbeContext

RELEVANT_PREFIXES = (
    "CUDA", "NVIDIA_", "NCCL_", "CUDNN", "TORCH_", "PYTORCH_", "XLA_", "JAX_", "TF_", "HIP_", "HSA_",
    "ROCR_", "ROCM_", "HCC_", "AMD_", "ONEAPI_", "ZE_", "SYCL_", "ONEAPI", "IPEX_", "TPU_", "NEURON_",
    "HABANA_", "PT_HPU", "LD_", "CONDA_", "VIRTUAL_ENV", "PYTHON", "PIP_", "UV_", "CC", "CXX", "CUDAHOSTCXX",
)
RELEVANT_NAMES = ("PATH", "LD_LIBRARY_PATH", "LD_PRELOAD", "LIBRARY_PATH", "CPATH")
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "KEY", "CREDENTIAL", "AUTH")
_URL_CREDENTIALS = re.compile(r"//[^/@\s]+@")


def relevant_env(env: dict[str, str]) -> dict[str, str]:
    out = {}
    for name, value in sorted(env.items()):
        if not (name in RELEVANT_NAMES or name.startswith(RELEVANT_PREFIXES)):
            continue
        if any(word in name.upper() for word in SECRET_WORDS):
            value = "<redacted>"
        out[name] = _URL_CREDENTIALS.sub("//<redacted>@", value)
    return out


def probe(ctx: ProbeContext) -> dict[str, str]:
    return relevant_env(dict(ctx.host.env))
