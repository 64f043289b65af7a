"""The workload of loader_truth.sh: bring frameworks up in the given order, use cuDNN and NCCL, print what is mapped.

    python3 loader_truth_work.py torch,jax

Each framework is started for real (jax's CUDA plugin loads its libraries when its backend starts, not at
import), then each runs a cuDNN convolution in the same order, torch also a one-rank NCCL all-reduce.
Every step reports and goes on after a failure. Last, every mapped shared object of this process, as
/proc/self/maps names it ("MAP path").
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback


def step(name, fn):
    try:
        print(f"OK {name}: {fn()}", flush=True)
    except Exception as exc:  # noqa: BLE001 -- a failing step is evidence, not the end of the run
        print(f"FAIL {name}: {type(exc).__name__}: {str(exc)[:600]}", flush=True)
        traceback.print_exc(limit=2, file=sys.stderr)


def start_torch():
    import torch

    return f"torch {torch.__version__} cuda {torch.version.cuda} available {torch.cuda.is_available()}"


def start_jax():
    import jax

    return f"jax {jax.__version__} devices {jax.devices()}"


def torch_conv():
    import torch

    x = torch.randn(1, 3, 16, 16, device="cuda")
    y = torch.nn.functional.conv2d(x, torch.randn(4, 3, 3, 3, device="cuda"))
    torch.cuda.synchronize()
    return f"shape {tuple(y.shape)}; torch.backends.cudnn.version() {torch.backends.cudnn.version()}"


def torch_nccl():
    import torch
    import torch.distributed as dist

    handle, store = tempfile.mkstemp(prefix="nccl-store-")
    os.close(handle)
    os.unlink(store)  # the file store creates it
    dist.init_process_group("nccl", init_method=f"file://{store}", rank=0, world_size=1)
    try:
        t = torch.ones(4, device="cuda")
        dist.all_reduce(t)
        torch.cuda.synchronize()
        return f"all_reduce {t.tolist()}; torch.cuda.nccl.version() {torch.cuda.nccl.version()}"
    finally:
        dist.destroy_process_group()
        if os.path.exists(store):
            os.unlink(store)


def jax_conv():
    import jax.numpy as jnp
    from jax import lax

    x = jnp.ones((1, 3, 16, 16), jnp.float32)
    w = jnp.ones((4, 3, 3, 3), jnp.float32)
    y = lax.conv(x, w, (1, 1), "SAME").block_until_ready()
    return f"shape {y.shape} sum {float(y.sum())}"


def main() -> None:
    order = [fw for fw in sys.argv[1].split(",") if fw]
    for fw in order:
        step(f"start {fw}", {"torch": start_torch, "jax": start_jax}[fw])
    for fw in order:
        if fw == "torch":
            step("torch cudnn conv", torch_conv)
            step("torch nccl all_reduce", torch_nccl)
        else:
            step("jax cudnn conv", jax_conv)
    seen = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            parts = line.split(maxsplit=5)
            path = parts[5].strip() if len(parts) == 6 else ""
            if ".so" in path and path not in seen:
                seen.add(path)
                print(f"MAP {path}", flush=True)


if __name__ == "__main__":
    main()
