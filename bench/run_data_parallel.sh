#!/usr/bin/env bash
# Data-parallel overhead on this machine: bench_data_parallel as one process,
# then under mpirun with N ranks at the same per-rank batch, one OpenMP thread
# per rank (so N ranks use N cores, the baseline one). Results: bench/README.md.
#   bash bench/run_data_parallel.sh [BUILD_DIR] [N] [extra bench_data_parallel args]
set -euo pipefail
build=${1:-build}
np=${2:-2}
shift $(( $# > 2 ? 2 : $# ))
args=(--batch 2 --seq 128 --steps 4 --warmup 1 "$@")
bin="$build/bench/bench_data_parallel"
[ -x "$bin" ] || { echo "run_data_parallel.sh: build $bin first (ninja -C $build bench_data_parallel)" >&2; exit 1; }
export OMP_NUM_THREADS=1 FORGE_NO_REEXEC=1
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" "${args[@]}"
mpirun --bind-to none --oversubscribe -np "$np" "$bin" "${args[@]}"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
