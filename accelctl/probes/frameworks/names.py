"""The distributions the framework readers describe, by normalised name; imports nothing.

The readers (``torch``, ``jax``, ``tensorflow``, ``others``) take their lists
from here, and the python probe reads the WHEEL tags of exactly these without
importing any reader.
"""

from __future__ import annotations

TORCH = "torch"
JAX_FAMILY = ("jax", "jaxlib")
TENSORFLOW = ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tf-nightly", "tensorflow-rocm")
TORCH_BUILT = ("torchvision", "torchaudio", "xformers", "vllm", "flash-attn", "intel-extension-for-pytorch",
               "torch-neuronx", "torch-xla", "deepspeed", "bitsandbytes", "torchao", "flashinfer-python")
OTHERS = frozenset(TORCH_BUILT + (
    "triton", "pytorch-triton", "pytorch-triton-rocm", "pytorch-triton-xpu", "onnxruntime-gpu", "tensorrt",
    "tensorrt-cu11", "tensorrt-cu12", "tensorrt-cu13", "cupy-cuda11x", "cupy-cuda12x", "cupy-cuda13x", "libtpu",
    "libtpu-nightly", "paddlepaddle-gpu", "paddlepaddle",
))
DESCRIBED = frozenset((TORCH, *JAX_FAMILY, *TENSORFLOW, *OTHERS))
