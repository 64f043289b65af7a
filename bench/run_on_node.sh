#!/usr/bin/env bash
# Prove accelctl on a real GPU node from the source tree; writes its evidence under ${OUT:-./node-out}.
# Used with the device tool:  bash bench/run_on_node.sh
set -u
OUT=${OUT:-./node-out}
mkdir -p "$OUT"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
# Run from a source tree as an installed accelctl runs: with cached bytecode (pip byte-compiles at install,
# even under PYTHONDONTWRITEBYTECODE, which the node sets). The cache lives outside the tree.
unset PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX=${PYTHONPYCACHEPREFIX:-/tmp/accelctl-pycache}
PY=${PY:-python3}
{
  echo "### date"; date -u
  echo "### python"; command -v "$PY"; "$PY" --version
  echo "### accelctl"; "$PY" -m accelctl --version
} > "$OUT/env.txt" 2>&1
"$PY" -m accelctl doctor --no-color > "$OUT/doctor.txt" 2>&1; echo "exit $?" >> "$OUT/doctor.txt"
"$PY" -m accelctl doctor --json > "$OUT/doctor.json" 2> "$OUT/doctor.stderr"
{
  S=$("$PY" -c "import sysconfig;print(sysconfig.get_paths()['purelib'])")
  echo "### readelf -d libtorch_cuda.so (ground truth for RUNPATH/NEEDED)"
  readelf -d "$S/torch/lib/libtorch_cuda.so" 2>&1 | grep -E 'NEEDED|PATH' | head -40
  echo "### ldd libtorch_cuda.so (which copies really load)"
  ldd "$S/torch/lib/libtorch_cuda.so" 2>&1 | grep -E 'cudnn|nccl|cublas|cudart|cusparseLt|nvJitLink' 
  echo "### doctor's resolutions"
  "$PY" -m accelctl doctor --json | "$PY" -c "import json,sys;[print(r['soname'],r['resolved_path'],r.get('resolved_via'),'shadowed' if r['shadowed'] else '') for r in json.load(sys.stdin)['inventory']['nvidia']['resolutions']]"
  echo "### with the system folder first on LD_LIBRARY_PATH"
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-} ldd "$S/torch/lib/libtorch_cuda.so" 2>&1 | grep -E 'cudnn|nccl'
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-} "$PY" -m accelctl doctor --json | "$PY" -c "import json,sys;d=json.load(sys.stdin);[print(r['soname'],r['resolved_path'],r.get('resolved_via'),'shadowed' if r['shadowed'] else '') for r in d['inventory']['nvidia']['resolutions']];print([f['rule_id'] for f in d['findings']])"
  echo "### per probe"; "$PY" bench/bench.py --per-probe
  echo "### timeline: one doctor run as sequential steps"; "$PY" bench/timeline.py; "$PY" bench/timeline.py
  echo "### trace: the real run, phase by phase"; "$PY" bench/trace.py
  [ -n "${BASE:-}" ] && { echo "### A/B on this machine: $BASE against this tree"; "$PY" bench/ab.py "$BASE" . --runs "${RUNS:-15}"; }
  echo "### probes in one process against forked, this machine's files and the node capture"
  "$PY" bench/fork_ab.py --live --runs "${RUNS:-15}"; "$PY" bench/fork_ab.py --runs "${RUNS:-15}"
  echo "### leftover processes after a doctor run (NVML's and the probes' must all be gone)"
  "$PY" -m accelctl doctor --json > /dev/null; sleep 0.2; ps -eo pid,stat,args | grep -c "[a]ccelctl" || true
  echo "### --scan-fatbins: torch's compiled architectures read from libtorch_cuda.so"
  "$PY" -m accelctl doctor --json --scan-fatbins | "$PY" -c "import json,sys;d=json.load(sys.stdin);[print(f['name'],f['version'],f['compiled_archs'],f['compiled_ptx'],f['archs_source']) for e in d['inventory']['python'] for f in e['frameworks'] if f['name']=='torch']"
  echo "### accelerators reported (vendor-neutral)"
  "$PY" -m accelctl doctor --json | "$PY" -c "import json,sys;d=json.load(sys.stdin);print(d['inventory']['accelerators']);print(d['inventory']['amd']['present'],d['inventory']['intel']['present'],d['inventory']['other_accelerators'])"
  echo "### import time (top 25, microseconds, cumulative)"
  "$PY" -X importtime -m accelctl doctor --json 2>&1 >/dev/null | sort -t'|' -k2 -n -r | head -25
} > "$OUT/checks.txt" 2>&1
"$PY" bench/bench.py --runs ${RUNS:-7} ${TORCH_PY:+--torch-python "$TORCH_PY"} --markdown > "$OUT/bench.md" 2>&1
"$PY" bench/bench.py --scale ${SCALE:-10000} --jobs ${JOBS:-$(nproc)} >> "$OUT/bench.md" 2>&1
rm -rf /tmp/accelctl-cap && "$PY" -m accelctl capture /tmp/accelctl-cap > /dev/null 2>&1 && tar czf "$OUT/capture.tgz" -C /tmp accelctl-cap
ls -la "$OUT"
