#!/usr/bin/env bash
# The README's main job: installs what forge needs, builds the `forge` binary,
# gathers the default corpus (Debian's fortune cookies), trains a byte-level
# BPE tokenizer on it, tokenizes it into HDF5 shards, and trains the
# quickstart GPT-2 (recipes/quickstart.yaml) on the CPU, printing progress,
# validation loss and a sample. Re-running continues the run (resume: auto).
# Extra arguments are recipe overrides, e.g. `train.max_steps=100`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
build_dir="${FORGE_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build_dir" -j "$(nproc)" --target forge
forge="$build_dir/apps/forge"

corpus=data/corpus
[ -f "$corpus/fortunes.txt" ] || bash scripts/make_corpus.sh "$corpus"
[ -f "$corpus/tokenizer/vocab.json" ] ||
  "$forge" tokenizer train --vocab-size 4096 --out "$corpus/tokenizer" "$corpus/fortunes.txt"
ls "$corpus"/shards/train_*.h5 > /dev/null 2>&1 ||
  "$forge" prepare --tokenizer "$corpus/tokenizer" --out "$corpus/shards" --separator % \
    --val-fraction 0.02 "$corpus/fortunes.txt"

"$forge" train recipes/quickstart.yaml "$@"
