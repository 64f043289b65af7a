#!/usr/bin/env bash
# Prove accelctl on a real GPU node from the source tree, in one device call; evidence under ${OUT:-./node-out}.
#
#   bash bench/run_on_node.sh                       # the quick set: reports, bench table (~1.5 min)
#   BASE=.base bash bench/run_on_node.sh            # + the same report as BASE's, and BASE against this tree
#   BASE=".a .b" bash bench/run_on_node.sh          # several bases: the report compared with the first's, all in the A/B
#   FULL=1 bash bench/run_on_node.sh                # + loader checks, per-probe, importtime, fatbins, 10k snapshots
#
# With the device tool, BASE is an ignored folder of the repository (git archive <commit> accelctl matrices |
# tar -x -C .base) named in the call's `carry`: ignored paths travel only when carried. Machines are scarce
# and each ask costs device time, so one call should bring back everything: the summary is printed last.
set -u
OUT=${OUT:-./node-out}
mkdir -p "$OUT"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
# Run from a source tree as an installed accelctl runs: with cached bytecode (pip byte-compiles at install,
# even under PYTHONDONTWRITEBYTECODE, which the node sets). The cache lives outside the tree.
unset PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX=${PYTHONPYCACHEPREFIX:-/tmp/accelctl-pycache}
PY=${PY:-python3}
RUNS=${RUNS:-11}
{
  echo "### date"; date -u
  echo "### machine"; nproc; nvidia-smi -L 2>&1
  echo "### python"; command -v "$PY"; "$PY" --version
  echo "### accelctl"; "$PY" -m accelctl --version
} > "$OUT/env.txt" 2>&1
"$PY" -m accelctl doctor --no-color > "$OUT/doctor.txt" 2>&1; echo "exit $?" >> "$OUT/doctor.txt"
"$PY" -m accelctl doctor --json > "$OUT/doctor.json" 2> "$OUT/doctor.stderr"
{
  if [ -n "${BASE:-}" ]; then
    FIRST=${BASE%% *}
    echo "### the same report as $FIRST's (timings aside)"
    # each from its own folder, without PYTHONPATH (python -m puts the working folder first on sys.path),
    # so the environment the two reports record is the same
    (cd "$FIRST" && env -u PYTHONPATH "$PY" -m accelctl doctor --json) > "$OUT/base.json" 2>/dev/null
    env -u PYTHONPATH "$PY" -m accelctl doctor --json > "$OUT/this.json" 2>/dev/null
    "$PY" bench/same_report.py "$OUT/base.json" "$OUT/this.json"
  fi
  echo "### accelctl processes left after three doctor runs (NVML's child must be gone)"
  for _ in 1 2 3; do "$PY" -m accelctl doctor --json > /dev/null; done
  sleep 0.3
  ps -eo args | grep -c "^$PY -m accelctl" || true
} > "$OUT/checks.txt" 2>&1
"$PY" bench/bench.py --runs "$RUNS" --torch-python "${TORCH_PY:-$PY}" --markdown > "$OUT/bench.md" 2>&1
# shellcheck disable=SC2086  # BASE is a list of folders
[ -n "${BASE:-}" ] && "$PY" bench/ab.py $BASE . --runs "${AB_RUNS:-15}" > "$OUT/ab.txt" 2>&1
if [ -n "${FULL:-}" ]; then
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
    echo "### --scan-fatbins: torch's compiled architectures read from libtorch_cuda.so"
    "$PY" -m accelctl doctor --json --scan-fatbins | "$PY" -c "import json,sys;d=json.load(sys.stdin);[print(f['name'],f['version'],f['compiled_archs'],f['compiled_ptx'],f['archs_source']) for e in d['inventory']['python'] for f in e['frameworks'] if f['name']=='torch']"
    echo "### import time (top 25, microseconds, cumulative)"
    "$PY" -X importtime -m accelctl doctor --json 2>&1 >/dev/null | sort -t'|' -k2 -n -r | head -25
  } > "$OUT/full.txt" 2>&1
  "$PY" bench/bench.py --scale "${SCALE:-10000}" --jobs "${JOBS:-$(nproc)}" >> "$OUT/bench.md" 2>&1
  rm -rf /tmp/accelctl-cap && "$PY" -m accelctl capture /tmp/accelctl-cap > /dev/null 2>&1 && tar czf "$OUT/capture.tgz" -C /tmp accelctl-cap
fi
cat "$OUT/env.txt" "$OUT/checks.txt" "$OUT/bench.md"
[ -f "$OUT/ab.txt" ] && cat "$OUT/ab.txt"
exit 0
