#!/usr/bin/env bash
# Ground truth on a real GPU node: what the loader really loads and what the frameworks really see, in
# breakages made for real; beside each, what accelctl (this tree) reports. Evidence goes to ${OUT:-./node-out}.
#   bash bench/truth/node_truth.sh
# Scenarios: the clean node; the system library folder first on LD_LIBRARY_PATH (a system cuDNN and NCCL
# ahead of the wheels'); CUDA_VISIBLE_DEVICES hiding the GPU (empty, a missing index, a missing UUID).
set -u
OUT=${OUT:-./node-out}
W=$(mktemp -d)
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
PY=${PY:-python3}
SYS=/usr/lib/x86_64-linux-gnu
S=$("$PY" -c "import sysconfig;print(sysconfig.get_paths()['purelib'])")
cat > "$W/torch_work.py" <<'PYEOF'
# Import torch, run a cuDNN convolution and a one-rank NCCL all-reduce; print what loaded (/proc/self/maps).
import os, sys
import torch
print("cuda available:", torch.cuda.is_available(), "count:", torch.cuda.device_count(), flush=True)
try:
    x = torch.randn(1, 3, 8, 8, device="cuda")
    y = torch.nn.functional.conv2d(x, torch.randn(4, 3, 3, 3, device="cuda"))
    torch.cuda.synchronize()
    print("conv ok; cudnn version", torch.backends.cudnn.version(), flush=True)
except Exception as exc:
    print("conv failed:", type(exc).__name__, str(exc)[:400], flush=True)
try:
    import torch.distributed as dist
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1"); os.environ.setdefault("MASTER_PORT", "29511")
    dist.init_process_group("nccl", rank=0, world_size=1)
    t = torch.ones(4, device="cuda"); dist.all_reduce(t); torch.cuda.synchronize()
    print("nccl all_reduce ok", t.tolist(), "nccl version", torch.cuda.nccl.version(), flush=True)
    dist.destroy_process_group()
except Exception as exc:
    print("nccl failed:", type(exc).__name__, str(exc)[:400], flush=True)
if len(sys.argv) > 1 and sys.argv[1] == "jax":
    import jax, jax.numpy as jnp
    print("jax devices:", jax.devices(), flush=True)
    print("jax sum:", float(jnp.ones(8).sum()), flush=True)
seen = set()
for line in open("/proc/self/maps"):
    parts = line.split()
    if len(parts) >= 6 and ".so" in parts[5] and parts[5] not in seen:
        seen.add(parts[5]); print("MAP", parts[5])
PYEOF
cat > "$W/jax_first.py" <<'PYEOF'
import jax, jax.numpy as jnp
print("jax devices:", jax.devices(), flush=True)
print("jax sum:", float(jnp.ones(8).sum()), flush=True)
import torch
x = torch.randn(1, 3, 8, 8, device="cuda")
torch.nn.functional.conv2d(x, torch.randn(4, 3, 3, 3, device="cuda")); torch.cuda.synchronize()
print("torch conv after jax ok; cudnn", torch.backends.cudnn.version(), flush=True)
seen = set()
for line in open("/proc/self/maps"):
    parts = line.split()
    if len(parts) >= 6 and ".so" in parts[5] and parts[5] not in seen:
        seen.add(parts[5]); print("MAP", parts[5])
PYEOF
run_case() {  # name, env assignments...; the workload under LD_DEBUG=libs, then the doctor
  local name=$1; shift
  {
    echo "### case $name: env $*"
    env "$@" LD_DEBUG=libs LD_DEBUG_OUTPUT="$W/lddebug-$name" timeout 300 "$PY" "$W/torch_work.py" jax 2>&1 | grep -v '^MAP' | head -40
    echo "### loaded (maps), CUDA libraries"
    env "$@" timeout 300 "$PY" "$W/torch_work.py" jax 2>/dev/null | grep '^MAP' | grep -E 'cudnn|nccl|cublas|cudart|nvJitLink|cusparse|cufft|curand|cusolver|nvrtc|cupti|libcuda\.|nvidia-ml|xla|jax' | sort
    echo "### LD_DEBUG: where each CUDA library was found (calling init lines)"
    cat "$W"/lddebug-"$name".* 2>/dev/null | grep -E 'calling init: .*(cudnn|nccl|cublas|cudart|nvJitLink|cusparse)' | sed 's/^ *[0-9]*: *//' | sort -u
    echo "### LD_DEBUG: search paths for libcudnn_graph / libcudnn_engines / libcublasLt"
    cat "$W"/lddebug-"$name".* 2>/dev/null | grep -E 'find library=(libcudnn_graph|libcudnn_engines_precompiled|libcublasLt|libnccl)' -A3 | sed 's/^ *[0-9]*: *//' | head -40
    echo "### accelctl doctor (text)"
    env "$@" "$PY" -m accelctl doctor --no-color 2>&1 | head -80; echo "exit ${PIPESTATUS[0]}"
  } > "$OUT/case-$name.txt" 2>&1
  env "$@" "$PY" -m accelctl doctor --json > "$OUT/doctor-$name.json" 2>/dev/null
}
{
  echo "### date"; date -u; echo "### machine"; nproc; nvidia-smi -L 2>&1
  echo "### python"; command -v "$PY"; "$PY" --version; echo "purelib $S"
  echo "### LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  for f in "$S/torch/lib/libtorch_cuda.so" "$S"/nvidia/cudnn/lib/libcudnn.so.9 "$S"/nvidia/cu13/lib/libcublas.so.13 "$S"/nvidia/cublas/lib/libcublas.so.13 "$S"/nvidia/nccl/lib/libnccl.so.2; do
    [ -e "$f" ] || continue; echo "### readelf -d $f"; readelf -d "$f" | grep -E 'NEEDED|PATH|SONAME'; done
  echo "### system copies"; ls -l $SYS/libcudnn*.so.9* $SYS/libnccl.so* $SYS/libcublas*.so* 2>&1 | head -30
  echo "### torch.cuda.get_arch_list and builds"
  "$PY" -c "import torch;print(torch.__version__, torch.version.cuda, torch.cuda.get_arch_list(), torch.backends.cudnn.version())"
  echo "### cuobjdump --list-elf libtorch_cuda.so (arch set)"
  cuobjdump --list-elf "$S/torch/lib/libtorch_cuda.so" 2>/dev/null | grep -o 'sm_[0-9a-z]*' | sort | uniq -c
  cuobjdump --list-ptx "$S/torch/lib/libtorch_cuda.so" 2>/dev/null | grep -o 'sm_[0-9a-z]*' | sort | uniq -c
  echo "### accelctl --scan-fatbins: torch archs"
  "$PY" -m accelctl doctor --json --scan-fatbins | "$PY" -c "import json,sys;d=json.load(sys.stdin);[print(f['name'],f['version'],f.get('compiled_archs'),f.get('compiled_ptx'),f.get('archs_source')) for e in d['inventory']['python'] for f in e['frameworks'] if f['name']=='torch']"
} > "$OUT/node.txt" 2>&1
run_case clean
run_case sysfirst LD_LIBRARY_PATH=$SYS:${LD_LIBRARY_PATH:-}
{
  echo "### jax imported before torch, clean"; timeout 300 "$PY" "$W/jax_first.py" 2>&1 | grep -E -v '^MAP' | head; timeout 300 "$PY" "$W/jax_first.py" 2>/dev/null | grep '^MAP' | grep -E 'cudnn|nccl|cublas' | sort
  echo "### jax imported before torch, system folder first"; LD_LIBRARY_PATH=$SYS:${LD_LIBRARY_PATH:-} timeout 300 "$PY" "$W/jax_first.py" 2>&1 | grep -v '^MAP' | head; LD_LIBRARY_PATH=$SYS:${LD_LIBRARY_PATH:-} timeout 300 "$PY" "$W/jax_first.py" 2>/dev/null | grep '^MAP' | grep -E 'cudnn|nccl|cublas' | sort
  UUID=$(nvidia-smi -L | sed -n 's/.*(UUID: \(GPU-[^)]*\)).*/\1/p' | head -1)
  echo "### real uuid $UUID"
  for v in "" "7" "GPU-00000000-0000-0000-0000-000000000000" "0" "$UUID" "${UUID:0:12}" "0,7" "7,0" "-1" "MIG-00000000-0000-0000-0000-000000000000" "nvidia0"; do
    echo "### CUDA_VISIBLE_DEVICES='$v'"
    CUDA_VISIBLE_DEVICES="$v" "$PY" -c "import torch;print('torch available', torch.cuda.is_available(), 'count', torch.cuda.device_count())" 2>&1 | tail -2
    CUDA_VISIBLE_DEVICES="$v" "$PY" -c "import jax;print('jax', jax.devices())" 2>&1 | tail -1
    CUDA_VISIBLE_DEVICES="$v" "$PY" -m accelctl doctor --no-color 2>&1 | head -3
  done
  echo "### CUDA_VISIBLE_DEVICES unset"; env -u CUDA_VISIBLE_DEVICES "$PY" -m accelctl doctor --no-color 2>&1 | head -3
  echo "### NVIDIA_VISIBLE_DEVICES (set in this container?)"; env | grep -E 'VISIBLE|NVIDIA_' 
} > "$OUT/visible.txt" 2>&1
CUDA_VISIBLE_DEVICES="" "$PY" -m accelctl doctor --json > "$OUT/doctor-cvd-empty.json" 2>/dev/null
(cd "$W" && tar czf "$OUT/lddebug.tgz" lddebug-* 2>/dev/null)
cat "$OUT/node.txt"; tail -c 3000 "$OUT/case-sysfirst.txt"; cat "$OUT/visible.txt" | head -80
