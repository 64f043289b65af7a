#!/usr/bin/env bash
# One GPU-node call that brings back all evidence, most important first (a call cut at its limit keeps what is
# already under $OUT): the interleaved timing and same-report check against base trees, then the loader and
# visible-device ground truth (node_truth.sh, loader_truth.sh).
#   BASE=".bench-base .bench-house" bash bench/truth/node_all.sh
# BASE: ignored folders holding other commits' accelctl/ and matrices/ (git archive COMMIT accelctl matrices);
# the first is the timing baseline, and each is checked for the same report as the second (when given).
set -u
OUT=${OUT:-./node-out}
E=$(mktemp -d)
PY=${PY:-python3}
mkdir -p "$OUT"
# shellcheck disable=SC2086  # BASE is a list of folders
set -- ${BASE:-}
if [ $# -gt 0 ]; then
  {
    echo "### date"; date -u; nvidia-smi -L
    for tree in "$@" .; do (cd "$tree" && env -u PYTHONPATH "$PY" -m accelctl doctor --json) > "$E/report-$(basename "$tree").json" 2>/dev/null; done
    if [ $# -gt 1 ]; then
      echo "### the same report, $1 against $2 (timings aside)"
      "$PY" bench/same_report.py "$E/report-$(basename "$1").json" "$E/report-$(basename "$2").json"
    fi
    echo "### A/B: $* and this tree, interleaved"
    timeout 240 "$PY" bench/ab.py "$@" . --runs "${AB_RUNS:-21}"
    echo "### against collect_env (this tree)"
    timeout 150 "$PY" bench/bench.py --runs "${RUNS:-7}" --markdown
  } > "$OUT/ab.txt" 2>&1
  cp "$E"/report-*.json "$OUT/" 2>/dev/null
fi
OUT=$E timeout 200 bash bench/truth/node_truth.sh > /dev/null 2>&1
OUT=$E SCENARIOS=${SCENARIOS:-"clean sysfirst ncclfirst"} ORDERS=${ORDERS:-"torch torch,jax jax,torch"} \
  timeout 240 bash bench/truth/loader_truth.sh > "$E/loader_truth.txt" 2>&1
(cd "$E" && tar czf "$OUT/evidence.tgz" --exclude='report-*.json' .)
{
  [ -f "$OUT/ab.txt" ] && cat "$OUT/ab.txt"
  tail -c 2500 "$E/case-sysfirst.txt"; echo
  grep -A3 "CUDA_VISIBLE_DEVICES" "$E/visible.txt" | head -60; echo
  tail -c 3000 "$E/loader_truth.txt"
} > "$OUT/summary.txt" 2>&1
tail -c 11500 "$OUT/summary.txt"
