#!/usr/bin/env bash
# Issue 3's end-to-end speed comparison: trains GPT-2 124M (B=4, T=256) and the
# nanoGPT "baby" size (6 layers, 6 heads, 384 wide, vocab 65, B=16, T=256) in
# forge (bench_train) and in PyTorch (bench_train_torch.py), side by side, and
# prints a Markdown table of tokens/s, model GFLOP/s and peak RSS.
#
# forge runs in the machine's environment as a user would (it picks its BLAS
# kernels itself). PyTorch is given its best settings: each of $TORCH_ENVS is
# tried and the fastest kept (OpenBLAS core type auto-detected instead of the
# environment's Haswell, OMP_WAIT_POLICY=passive, glibc huge pages).
# With REPEATS=N each side runs N times (interleaved: forge, then every torch
# environment, N rounds) and is credited with its fastest run: on a shared
# machine a run that overlaps someone's compile is much slower, whichever side
# it hits. The step CPU time (median, all threads) of the credited runs is shown
# too: it measures the work done, which other load disturbs less than wall time.
#
# Usage: bench/run_train.sh   Environment: THREADS=2 STEPS=5 REPEATS=1 BUILD_DIR=build-bench
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS="${THREADS:-2}"
STEPS="${STEPS:-5}"
REPEATS="${REPEATS:-1}"
BUILD_DIR="${BUILD_DIR:-build-bench}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
PYTHON="${PYTHON:-/usr/bin/python3}"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFORGE_CUDA=OFF -DFORGE_TESTS=OFF >/dev/null
ninja -C "$BUILD_DIR" -j2 bench_train sgemm_ceiling >/dev/null
# The OpenBLAS core forge runs with (common/runtime.cpp picks it) is offered to
# PyTorch too: on Zen 5 OpenBLAS 0.3.21's auto-detection picks slower kernels.
BEST_CORE="$("$BUILD_DIR/bench/sgemm_ceiling" --print-core)"
TORCH_ENVS=(
  "OMP_WAIT_POLICY=passive GLIBC_TUNABLES=glibc.malloc.hugetlb=1 OPENBLAS_CORETYPE=$BEST_CORE"
  "OMP_WAIT_POLICY=passive OPENBLAS_CORETYPE=$BEST_CORE"
  "OMP_WAIT_POLICY=passive GLIBC_TUNABLES=glibc.malloc.hugetlb=1 OPENBLAS_CORETYPE="
  "OMP_WAIT_POLICY=passive OPENBLAS_CORETYPE="
  "OPENBLAS_CORETYPE="
)
export OMP_NUM_THREADS="$THREADS"

echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC'); cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo "# threads: $THREADS; steps: $STEPS; repeats: $REPEATS; OPENBLAS_CORETYPE in environment: ${OPENBLAS_CORETYPE:-(unset)}"
echo "# forge: git $(git -C "$ROOT" rev-parse --short HEAD); torch $("$PYTHON" -c 'import torch; print(torch.__version__)')"

models=(
  "--preset gpt2-124m --label gpt2-124m --batch 4 --seq 256"
  "--preset gpt2-124m --label baby --n-layer 6 --n-head 6 --n-embd 384 --vocab 65 --batch 16 --seq 256"
)
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
echo
faster() { "$PYTHON" -c "import sys; sys.exit(0 if float('$1') > float('$2') else 1)"; }
echo "| model | forge tok/s | torch tok/s | forge / torch | forge GFLOP/s | torch GFLOP/s | forge step CPU ms | torch step CPU ms | forge peak RSS MB | torch peak RSS MB | torch best env |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for m in "${models[@]}"; do
  f=""; f_tps=0; best=""; best_tps=0; best_env=""
  for ((r = 0; r < REPEATS; ++r)); do
    t=$("$BUILD_DIR/bench/bench_train" $m --steps "$STEPS" 2>/dev/null | grep '^BENCH')
    tps=$(echo "$t" | field tokens_per_s)
    if faster "$tps" "$f_tps"; then f="$t"; f_tps="$tps"; fi
    for e in "${TORCH_ENVS[@]}"; do
      t=$(env $e "$PYTHON" "$ROOT/bench/bench_train_torch.py" $m --steps "$STEPS" --threads "$THREADS" 2>/dev/null | grep '^BENCH')
      tps=$(echo "$t" | field tokens_per_s)
      if faster "$tps" "$best_tps"; then best="$t"; best_tps="$tps"; best_env="$e"; fi
    done
  done
  ratio=$("$PYTHON" -c "print(f'{float(\"$f_tps\") / float(\"$best_tps\"):.2f}')")
  echo "| $(echo "$f" | field model) | $f_tps | $best_tps | $ratio | $(echo "$f" | field gflops) | $(echo "$best" | field gflops) | $(echo "$f" | field step_cpu_ms) | $(echo "$best" | field step_cpu_ms) | $(echo "$f" | field peak_rss_mb) | $(echo "$best" | field peak_rss_mb) | \`$best_env\` |"
done
