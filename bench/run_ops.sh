#!/usr/bin/env bash
# Builds bench_ops (Release) and runs it side by side with its PyTorch twin
# (bench/bench_ops_torch.py) at the same thread count, under each OpenMP wait
# policy in $POLICIES, $REPEATS times; each side gets its best run per op.
# Prints the sgemm_ceiling probe and a Markdown table:
#   op | forge ms | torch ms | ratio (torch/forge, > 1 means forge is faster) | ...
#
# Usage: bench/run_ops.sh [extra bench args, e.g. --filter linear --iters 10]
# Environment:
#   THREADS=2                     OpenMP threads for both (torch.set_num_threads too)
#   POLICIES="default passive"    OMP_WAIT_POLICY values to try ("default" = unset)
#   REPEATS=1                     runs per side and policy; each op keeps its best median
#                                 (use 3+ on a shared machine: other load only slows runs down)
#   BUILD_DIR=build-bench         CMake build directory (relative to the repo root)
#   OUT_DIR=$BUILD_DIR/bench-results   where raw outputs go
#   PYTHON=/usr/bin/python3       a python with torch (Debian's)
#   TORCH_CORE=<auto>             OPENBLAS_CORETYPE for PyTorch (default: what forge picks)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS="${THREADS:-2}"
POLICIES="${POLICIES:-default passive}"
REPEATS="${REPEATS:-1}"
BUILD_DIR="${BUILD_DIR:-build-bench}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
OUT_DIR="${OUT_DIR:-$BUILD_DIR/bench-results}"
PYTHON="${PYTHON:-/usr/bin/python3}"

# ---- build -----------------------------------------------------------------
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFORGE_CUDA=OFF -DFORGE_TESTS=OFF >/dev/null
ninja -C "$BUILD_DIR" -j2 bench_ops sgemm_ceiling >/dev/null

mkdir -p "$OUT_DIR"
export OMP_NUM_THREADS="$THREADS"

# ---- environment -----------------------------------------------------------
echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores visible"
# PyTorch gets the OpenBLAS core forge runs with (common/runtime.cpp picks it):
# with the environment's OPENBLAS_CORETYPE=Haswell it would run at half speed
# on an AVX-512 CPU, and OpenBLAS 0.3.21 does not recognise Zen 5 by itself.
TORCH_CORE="${TORCH_CORE-$("$BUILD_DIR/bench/sgemm_ceiling" --print-core)}"
echo "# threads: $THREADS; OPENBLAS_CORETYPE in environment: ${OPENBLAS_CORETYPE:-(unset)}; torch runs with OPENBLAS_CORETYPE=${TORCH_CORE:-(unset)}"
echo "# forge: git $(git -C "$ROOT" rev-parse --short HEAD), build $BUILD_DIR (Release, -march=native)"
echo "# torch: $("$PYTHON" -c 'import torch; print(torch.__version__)') via $PYTHON"
cpu_busy_percent() {  # share of all CPUs busy over the next second, from /proc/stat
  local a b
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
busy=$(cpu_busy_percent)
echo "# CPU busy before the run: ${busy}%"
if (( busy > 10 )); then
  echo "# WARNING: something else is using the CPU; timings will be noisy"
fi

# ---- sgemm ceiling ---------------------------------------------------------
echo
echo "## sgemm_ceiling"
"$BUILD_DIR/bench/sgemm_ceiling" | tee "$OUT_DIR/sgemm_ceiling.txt"

# ---- op benchmarks ---------------------------------------------------------
run_with_policy() {  # policy, output file, command...
  local policy="$1" out="$2"
  shift 2
  if [[ "$policy" == default ]]; then
    env -u OMP_WAIT_POLICY "$@" >"$out"
  else
    OMP_WAIT_POLICY="$policy" "$@" >"$out"
  fi
}

echo
rm -f "$OUT_DIR"/forge_*.txt "$OUT_DIR"/torch_*.txt
for rep in $(seq 1 "$REPEATS"); do
  for policy in $POLICIES; do
    echo "# [$rep/$REPEATS] forge, OMP_WAIT_POLICY=$policy (CPU busy before: $(cpu_busy_percent)%) ..." >&2
    run_with_policy "$policy" "$OUT_DIR/forge_${policy}_$rep.txt" "$BUILD_DIR/bench/bench_ops" "$@" ||
      echo "# bench_ops reported failures (see above); those cases show n/a" >&2
    echo "# [$rep/$REPEATS] torch, OMP_WAIT_POLICY=$policy (CPU busy before: $(cpu_busy_percent)%) ..." >&2
    OPENBLAS_CORETYPE="$TORCH_CORE" run_with_policy "$policy" "$OUT_DIR/torch_${policy}_$rep.txt" "$PYTHON" "$ROOT/bench/bench_ops_torch.py" \
      --threads "$THREADS" "$@" || echo "# bench_ops_torch.py failed" >&2
  done
done

# ---- table -----------------------------------------------------------------
"$PYTHON" - "$OUT_DIR" <<'EOF'
import glob
import os
import sys

out_dir = sys.argv[1]

def load(side):
    """{case: (fwdbwd_ms, fwd_ms, gflops, policy)} keeping each case's fastest run."""
    best, order = {}, []
    for path in sorted(glob.glob(f"{out_dir}/{side}_*_*.txt")):
        policy = os.path.basename(path)[len(side) + 1:].rsplit("_", 1)[0]
        for line in open(path):
            if not line.startswith("BENCH "):
                continue
            kv = dict(f.split("=", 1) for f in line.split()[1:])
            name, total = kv["name"], float(kv["fwdbwd_ms"])
            if name not in order:
                order.append(name)
            if name not in best or total < best[name][0]:
                best[name] = (total, float(kv["fwd_ms"]), kv["gflops"], policy)
    return best, order

forge, order = load("forge")
torch, torch_order = load("torch")
order += [n for n in torch_order if n not in order]
print("| op | forge ms | torch ms | ratio (torch/forge) | forge GFLOP/s | torch GFLOP/s "
      "| forge fwd ms | torch fwd ms | wait policy forge / torch |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
for name in order:
    f, t = forge.get(name), torch.get(name)
    cell = lambda r, i, fmt="{:.2f}": (fmt.format(r[i]) if r else "n/a")
    ratio = f"{t[0] / f[0]:.2f}" if f and t else "n/a"
    print(f"| {name} | {cell(f, 0)} | {cell(t, 0)} | {ratio} | {f[2] if f else 'n/a'} | "
          f"{t[2] if t else 'n/a'} | {cell(f, 1)} | {cell(t, 1)} | "
          f"{f[3] if f else '-'} / {t[3] if t else '-'} |")
EOF
echo
echo "# ms = median forward+backward per iteration (best of $REPEATS run(s) x policies $POLICIES); raw outputs in $OUT_DIR"
