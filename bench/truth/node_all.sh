#!/usr/bin/env bash
# One GPU-node call that brings back all evidence: the loader and visible-device ground truth
# (node_truth.sh, loader_truth.sh), the same-report check and the interleaved timing against a base tree.
#   BASE=.bench-base bash bench/truth/node_all.sh      # BASE: an ignored folder holding the base commit's accelctl/ and matrices/
# Everything lands in $OUT/evidence.tgz; the summary is $OUT/summary.txt (also printed).
set -u
OUT=${OUT:-./node-out}
E=$(mktemp -d)
PY=${PY:-python3}
mkdir -p "$OUT"
OUT=$E bash bench/truth/node_truth.sh > /dev/null 2>&1
[ -f bench/truth/loader_truth.sh ] && { OUT=$E timeout 400 bash bench/truth/loader_truth.sh > "$E/loader_truth.txt" 2>&1; }
if [ -n "${BASE:-}" ]; then
  {
    echo "### the same report as $BASE's (timings aside)"
    (cd "$BASE" && env -u PYTHONPATH "$PY" -m accelctl doctor --json) > "$E/base.json" 2>/dev/null
    env -u PYTHONPATH "$PY" -m accelctl doctor --json > "$E/this.json" 2>/dev/null
    "$PY" bench/same_report.py "$E/base.json" "$E/this.json"
    echo "### A/B: base then this tree, interleaved"
    "$PY" bench/ab.py "$BASE" . --runs "${AB_RUNS:-21}"
    echo "### against collect_env"
    "$PY" bench/bench.py --runs "${RUNS:-11}" --markdown
  } > "$E/ab.txt" 2>&1
fi
(cd "$E" && tar czf "$OUT/evidence.tgz" .)
{
  cat "$E/node.txt"; echo; tail -c 2500 "$E/case-sysfirst.txt"; echo; head -c 6000 "$E/visible.txt"; echo
  [ -f "$E/loader_truth.txt" ] && tail -c 4000 "$E/loader_truth.txt"; echo
  [ -f "$E/ab.txt" ] && cat "$E/ab.txt"
} > "$OUT/summary.txt" 2>&1
tail -c 11500 "$OUT/summary.txt"
