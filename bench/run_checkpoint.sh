#!/usr/bin/env bash
# Checkpoint save/load speed against `dd` on the same disk, same byte count.
#
# Builds bench_checkpoint (Release) and, $REPEATS times, interleaved so both
# sides see the same disk weather:
#   forge: save_checkpoint of a GPT-2 124M model + AdamW state (~1.5 GB), ending
#          with fsync of the file and its directory; then load_checkpoint after
#          dropping the file from the page cache ("cold"), once more from disk
#          into reused memory ("cold_again", see bench_checkpoint.cpp: a fresh
#          VM's first touch of memory), and from the page cache ("warm");
#   dd:    dd if=<forge's checkpoint, in the page cache> of=FILE bs=64M conv=fsync
#          (the same bytes: zeros from /dev/zero are not a fair baseline, a
#          virtual disk may store them as holes and read them back without I/O);
#          then dd if=FILE of=/dev/null bs=64M, cold (after dd iflag=nocache count=0,
#          the same posix_fadvise DONTNEED forge's bench uses; compared with both
#          forge cold loads) and warm.
# Prints each run, then a Markdown table: median MB/s of each side and the
# median of the per-repeat ratios forge/dd (the figure the >= 50% goal is about).
#
# Usage: bench/run_checkpoint.sh
# Environment:
#   REPEATS=5                  interleaved repeats (shared disks are noisy: use 5+)
#   PRESET=gpt2-124m           model preset to checkpoint
#   BUILD_DIR=build-bench      CMake build directory (relative to the repo root; configured
#                              as Release if new, used as it is if it exists)
#   DIR=$BUILD_DIR/checkpoint-bench   where the files go (must be on the disk of interest)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPEATS="${REPEATS:-5}"
PRESET="${PRESET:-gpt2-124m}"
BUILD_DIR="${BUILD_DIR:-build-bench}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
DIR="${DIR:-$BUILD_DIR/checkpoint-bench}"

if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then  # an existing build dir is used as configured
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFORGE_CUDA=OFF -DFORGE_TESTS=OFF >/dev/null
fi
ninja -C "$BUILD_DIR" -j2 bench_checkpoint >/dev/null
mkdir -p "$DIR"

echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; memory $(free -g | awk '/^Mem:/ {print $2}') GiB"
echo "# disk: $(df -h "$DIR" | awk 'NR==2 {print $1 " (" $2 ", mounted on " $6 ")"}')"
echo "# forge: git $(git -C "$ROOT" rev-parse --short HEAD); preset $PRESET; $REPEATS interleaved repeats"

# dd's own elapsed seconds from its last line: "N bytes (...) copied, 1.23 s, 1.2 GB/s"
dd_seconds() { awk '/copied/ {print $(NF-3)}'; }

results="$DIR/results.txt"
: > "$results"
for ((r = 1; r <= REPEATS; r++)); do
  out=$("$BUILD_DIR/bench/bench_checkpoint" --dir "$DIR" --preset "$PRESET" --repeats 1 --keep)
  (( r == 1 )) && echo "$out" | grep '^#'
  echo "$out" | grep '^BENCH' | sed "s/^/run $r forge /"
  bytes=$(echo "$out" | awk '/op=save/ {for (i = 1; i <= NF; i++) if ($i ~ /^bytes=/) {sub("bytes=", "", $i); print $i}}')
  for op in save load_cold load_cold_again load_warm; do
    s=$(echo "$out" | awk -v op="op=$op" '$2 == op {for (i = 1; i <= NF; i++) if ($i ~ /^seconds=/) {sub("seconds=", "", $i); print $i}}')
    echo "$r forge $op $bytes $s" >> "$results"
  done

  cat "$DIR/step_1.h5" > /dev/null  # dd's source comes from memory, as forge's tensors do
  s=$(dd if="$DIR/step_1.h5" of="$DIR/dd.bin" bs=64M conv=fsync 2>&1 | dd_seconds)
  rm -f "$DIR/step_1.h5"
  echo "$r dd save $bytes $s" >> "$results"
  dd if="$DIR/dd.bin" iflag=nocache count=0 status=none
  s=$(dd if="$DIR/dd.bin" of=/dev/null bs=64M 2>&1 | dd_seconds)
  echo "$r dd load_cold $bytes $s" >> "$results"
  echo "$r dd load_cold_again $bytes $s" >> "$results"  # dd has no first touch of fresh memory
  s=$(dd if="$DIR/dd.bin" of=/dev/null bs=64M 2>&1 | dd_seconds)
  echo "$r dd load_warm $bytes $s" >> "$results"
  rm -f "$DIR/dd.bin"
  grep "^$r dd" "$results" | awk '{printf "run %s dd    op=%s bytes=%s seconds=%s MBps=%.1f\n", $1, $3, $4, $5, $4 / $5 / 1e6}'
done

echo
echo "| op | forge MB/s (median) | dd MB/s (median) | forge / dd (median of per-run ratios) |"
echo "|---|---|---|---|"
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
for op in save load_cold load_cold_again load_warm; do
  f=$(awk -v op="$op" '$2 == "forge" && $3 == op {print $4 / $5 / 1e6}' "$results" | median)
  d=$(awk -v op="$op" '$2 == "dd" && $3 == op {print $4 / $5 / 1e6}' "$results" | median)
  ratio=$(awk -v op="$op" '$3 == op {t[$1 " " $2] = $5} END {for (k in t) {split(k, a, " "); if (a[2] == "forge") print t[a[1] " dd"] / t[k]}}' "$results" | median)
  printf "| %s | %.0f | %.0f | %.0f%% |\n" "$op" "$f" "$d" "$(awk -v x="$ratio" 'BEGIN {print 100 * x}')"
done
