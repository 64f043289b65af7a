#!/usr/bin/env bash
# Ground truth for the loader model on a GPU node: for each breakage made for real and each import order,
# the doctor's predicted file for every library (doctor --json, this tree) beside the file the process
# mapped (/proc/self/maps) after starting torch and jax, a cuDNN convolution and a one-rank NCCL all-reduce.
#   bash bench/truth/loader_truth.sh            # evidence under ${OUT:-./node-out}/loader-truth
# Needs only python3 with torch (and jax, if installed) and this tree; no network. Scenarios:
#   clean          the node as it is
#   sysfirst       the system library folder first on LD_LIBRARY_PATH (system cuDNN/NCCL ahead of the wheels')
#   ncclfirst      a second NCCL copy in a folder first on LD_LIBRARY_PATH
#   oldcudnn       a folder first on PYTHONPATH holding nvidia/cudnn/lib with the system (older) cuDNN, as an
#                  older nvidia-cudnn wheel in another site folder would
# Choose with SCENARIOS="clean sysfirst" and ORDERS="torch jax torch,jax jax,torch".
set -u
OUT=${OUT:-./node-out}/loader-truth
mkdir -p "$OUT"
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=${PY:-python3}
W=$(mktemp -d)
SYS=${SYS:-/usr/lib/x86_64-linux-gnu}
RUN_TIMEOUT=${RUN_TIMEOUT:-90}  # per workload run; 4 scenarios x 4 orders take about 4-6 minutes
BASE_LD=${LD_LIBRARY_PATH:-}
BASE_PP=${PYTHONPATH:-}
S=$("$PY" -c "import sysconfig;print(sysconfig.get_paths()['purelib'])")
HAVE_JAX=$("$PY" -c "import jax_plugins" >/dev/null 2>&1 && echo 1 || echo 0)
SCENARIOS=${SCENARIOS:-"clean sysfirst ncclfirst oldcudnn"}
if [ "$HAVE_JAX" = 1 ]; then ORDERS=${ORDERS:-"torch jax torch,jax jax,torch"}; else ORDERS=${ORDERS:-"torch"}; fi

{
  echo "### date"; date -u; echo "### machine"; nvidia-smi -L 2>&1
  echo "### python $(command -v "$PY")"; "$PY" --version; echo "purelib $S; jax plugin: $HAVE_JAX"
  echo "### LD_LIBRARY_PATH=$BASE_LD"; echo "### PYTHONPATH=$BASE_PP"
  echo "### nvidia package kind"; ls -l "$S/nvidia/__init__.py" 2>&1
  for f in "$S"/torch/_C*.so "$S/torch/lib/libtorch_python.so" "$S/torch/lib/libtorch.so" \
           "$S/torch/lib/libtorch_cuda.so" "$S/torch/lib/libtorch_global_deps.so" "$S"/nvidia/cudnn/lib/libcudnn*.so.9 \
           "$S"/nvidia/cu13/lib/libcublas.so.13 "$S"/nvidia/cu13/lib/libcusparse.so.12 "$S"/nvidia/nccl/lib/libnccl.so.2 \
           "$S"/jax_plugins/xla_cuda1*/xla_cuda_plugin.so "$SYS"/libcudnn.so.9 "$SYS"/libcudnn_graph.so.9; do
    [ -e "$f" ] || continue; echo "### readelf -d $f"; readelf -d "$f" 2>&1 | grep -E 'NEEDED|PATH|SONAME'
  done
  echo "### system copies"; ls -l "$SYS"/libcudnn*.so.9* "$SYS"/libnccl.so* 2>&1 | head -30
} > "$OUT/node.txt" 2>&1

# The breakages. ncclfirst: a real second file (a copy, not a link: the loader and /proc/self/maps see files).
mkdir -p "$W/nccl" "$W/oldsite/nvidia/cudnn/lib"
NCCL_SRC=$(readlink -f "$SYS/libnccl.so.2" 2>/dev/null); [ -f "$NCCL_SRC" ] || NCCL_SRC=$(readlink -f "$S/nvidia/nccl/lib/libnccl.so.2")
[ -f "$NCCL_SRC" ] && cp "$NCCL_SRC" "$W/nccl/libnccl.so.2"
for f in "$SYS"/libcudnn*.so.9; do [ -e "$f" ] && ln -s "$(readlink -f "$f")" "$W/oldsite/nvidia/cudnn/lib/$(basename "$f")"; done

scenario_ld() {  # LD_LIBRARY_PATH of a scenario
  case $1 in
    sysfirst) echo "$SYS${BASE_LD:+:$BASE_LD}" ;;
    ncclfirst) echo "$W/nccl${BASE_LD:+:$BASE_LD}" ;;
    *) echo "$BASE_LD" ;;
  esac
}
scenario_pp() {  # PYTHONPATH of a scenario
  case $1 in
    oldcudnn) echo "$W/oldsite${BASE_PP:+:$BASE_PP}" ;;
    *) echo "$BASE_PP" ;;
  esac
}

for scen in $SCENARIOS; do
  mkdir -p "$OUT/$scen"
  ld=$(scenario_ld "$scen"); pp=$(scenario_pp "$scen")
  echo "LD_LIBRARY_PATH=$ld PYTHONPATH=$pp" > "$OUT/$scen/env.txt"
  # the doctor runs from this tree: its folder goes last on PYTHONPATH, after the scenario's own entries
  LD_LIBRARY_PATH=$ld PYTHONPATH="${pp:+$pp:}$REPO" "$PY" -m accelctl doctor --json > "$OUT/$scen/doctor.json" 2> "$OUT/$scen/doctor.stderr"
  LD_LIBRARY_PATH=$ld PYTHONPATH="${pp:+$pp:}$REPO" "$PY" -m accelctl doctor --no-color --select LIB > "$OUT/$scen/doctor-lib.txt" 2>&1
  for order in $ORDERS; do
    tag=${order/,/-then-}
    rm -f "$W/ld-$scen-$tag".*
    LD_LIBRARY_PATH=$ld PYTHONPATH=$pp LD_DEBUG=libs LD_DEBUG_OUTPUT="$W/ld-$scen-$tag" \
      timeout "$RUN_TIMEOUT" "$PY" "$HERE/loader_truth_work.py" "$order" > "$OUT/$scen/$tag.out" 2> "$OUT/$scen/$tag.err"
    echo "exit $?" >> "$OUT/$scen/$tag.out"
    "$PY" "$HERE/loader_truth_compare.py" "$scen" "$order" "$OUT/$scen/doctor.json" "$OUT/$scen/$tag.out" "$W/ld-$scen-$tag".* \
      > "$OUT/$scen/$tag.compare" 2>&1
  done
done
(cd "$W" && tar czf "$OUT/lddebug.tgz" ld-* 2>/dev/null)
rm -rf "$W"

# The summary: every comparison, the steps that failed, and what the doctor's LIB rules said per scenario.
{
  for scen in $SCENARIOS; do
    echo "=================== $scen: $(cat "$OUT/$scen/env.txt")"
    grep -h -E '^(OK|FAIL) ' "$OUT/$scen"/*.out | sed 's/^/  /' | sort | uniq -c | sort -rn | head -20
    echo "--- doctor (LIB rules)"; grep -E '^(ERROR|WARNING|NOTE|accelctl doctor)' "$OUT/$scen/doctor-lib.txt" | head -12
    for order in $ORDERS; do cat "$OUT/$scen/${order/,/-then-}.compare"; done
  done
  echo "=================== totals"; grep -h '^TALLY' "$OUT"/*/*.compare
  echo "DIFF rows: $(cat "$OUT"/*/*.compare | grep -c '^DIFF')"
} > "$OUT/summary.txt" 2>&1
cat "$OUT/summary.txt"
