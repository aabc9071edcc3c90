#!/usr/bin/env bash
# The data pipeline at corpus scale (README.md, "Data pipeline"):
#  1. generates a GB-sized corpus from the default corpus (bench/make_big_corpus.py:
#     half text with '%' separators, half JSONL; one file each as .zst and .gz);
#  2. `forge prepare` on it with every core, under /usr/bin/time: wall time, CPU
#     time, peak RSS; MB/s of input per wall second and per CPU second (= per
#     core fully used);
#  3. bench_loader on the shards: start-up, RSS the loader adds, batch assembly
#     time per step (random and sequential order, quickstart's 16 x 128 batch);
#  4. `forge train recipes/quickstart.yaml` for $STEPS steps on those shards and
#     on the small quickstart shards: peak RSS and ms/step of each;
#  5. deletes the generated corpus and shards (KEEP=1 keeps them).
#
# Usage: bench/run_data.sh
# Environment:
#   GB=2.2          corpus size to generate (decimal GB)
#   DIR=/tmp/forge_data_bench   where corpus and shards go (needs ~1.6 x GB free)
#   BUILD_DIR=build CMake build directory (relative to the repo root)
#   STEPS=30        training steps per run in step 4
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GB="${GB:-2.2}"
DIR="${DIR:-/tmp/forge_data_bench}"
BUILD_DIR="${BUILD_DIR:-build}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
STEPS="${STEPS:-30}"
cd "$ROOT"

ninja -C "$BUILD_DIR" -j2 forge bench_loader >/dev/null
forge="$BUILD_DIR/apps/forge"
corpus=data/corpus
[ -f "$corpus/fortunes.txt" ] || bash scripts/make_corpus.sh "$corpus"
[ -f "$corpus/tokenizer/vocab.json" ] ||
  "$forge" tokenizer train --vocab-size 4096 --out "$corpus/tokenizer" "$corpus/fortunes.txt"
[ -f "$corpus/shards/train_000000.h5" ] ||
  "$forge" prepare --tokenizer "$corpus/tokenizer" --out "$corpus/shards" --separator % --val-fraction 0.02 \
    --quiet "$corpus/fortunes.txt"

mkdir -p "$DIR"
need_kb=$(python3 -c "print(int($GB * 1.6e6))")
free_kb=$(df -k --output=avail "$DIR" | tail -1)
if (( free_kb < need_kb )); then
  echo "run_data: $DIR has $((free_kb / 1024)) MB free, needs $((need_kb / 1024)) MB" >&2
  exit 1
fi
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$DIR/raw" "$DIR/shards" "$DIR/run_big" "$DIR/run_small"; }
trap cleanup EXIT

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== 1. corpus: $GB GB"
rm -rf "$DIR/raw" "$DIR/shards"
python3 bench/make_big_corpus.py "$corpus/fortunes.txt" "$DIR/raw" "$GB" 16 | tail -1
zstd -q -1 --rm "$DIR/raw/part_00.txt"
gzip -1 "$DIR/raw/part_01.jsonl"
raw_bytes=$(du -sb "$DIR/raw" | cut -f1)
echo "input: $(ls "$DIR/raw" | wc -l) files, $((raw_bytes / 1000000)) MB on disk"

echo "== 2. prepare"
/usr/bin/time -f "TIME wall_s=%e user_s=%U sys_s=%S max_rss_kb=%M" \
  "$forge" prepare --tokenizer "$corpus/tokenizer" --out "$DIR/shards" --separator % --val-fraction 0.001 \
  --threads "$(nproc)" "$DIR/raw" 2> "$DIR/prepare.err" | tee "$DIR/prepare.out"
grep -E "^(prepare: .*took|TIME)" "$DIR/prepare.err" | tail -2
python3 - "$DIR/prepare.out" "$DIR/prepare.err" <<'EOF'
import re, sys
out, err = open(sys.argv[1]).read(), open(sys.argv[2]).read()
mb = float(re.search(r"\(([0-9.]+) MB of input", out).group(1))
t = dict(kv.split("=") for kv in re.search(r"TIME (.*)", err).group(1).split())
wall, cpu = float(t["wall_s"]), float(t["user_s"]) + float(t["sys_s"])
print("BENCH prepare input_mb=%.0f wall_s=%.1f cpu_s=%.1f mb_per_s_wall=%.1f mb_per_cpu_s=%.1f peak_rss_mb=%.0f"
      % (mb, wall, cpu, mb / wall, mb / cpu, int(t["max_rss_kb"]) / 1024))
EOF
du -sh "$DIR/shards" | sed 's/^/shards on disk: /'

echo "== 3. loader"
for order in random sequential; do
  "$BUILD_DIR/bench/bench_loader" "$DIR/shards/train_*.h5" --batch 16 --seq-len 128 --steps 2000 --order "$order"
done

echo "== 4. training on the big shards and on the quickstart shards ($STEPS steps each)"
for which in big small; do
  if [ "$which" = big ]; then shards="$DIR/shards"; else shards="$corpus/shards"; fi
  /usr/bin/time -f "TIME wall_s=%e max_rss_kb=%M" "$forge" train recipes/quickstart.yaml \
    "train.max_steps=$STEPS" train.log_interval=10 train.eval_interval=100000 train.sample_interval=0 \
    checkpoint.interval=100000 "data.train=$shards/train_*.h5" "data.val=$shards/val_*.h5" \
    "run.dir=$DIR/run_$which" 2>&1 | grep -E "^step +$STEPS/|TIME" | sed "s/^/$which: /"
done
