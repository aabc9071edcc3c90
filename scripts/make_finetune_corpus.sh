#!/usr/bin/env bash
# Gathers the second corpus, for fine-tuning the quickstart model
# (recipes/finetune_quickstart.yaml): the free-software licence texts every
# Debian system ships in /usr/share/common-licenses (base-files; ~250 KB of
# English in a register very unlike the fortunes). Writes OUT_DIR/licenses.txt,
# one licence per document, documents separated by a line holding only '%'.
set -euo pipefail
out_dir="${1:-data/licenses}"
src=/usr/share/common-licenses
[ -d "$src" ] || { echo "make_finetune_corpus: $src not found" >&2; exit 1; }
mkdir -p "$out_dir"
tmp="$out_dir/licenses.txt.tmp"
: > "$tmp"
for f in "$src"/*; do
  [ -f "$f" ] && [ ! -L "$f" ] || continue  # GPL -> GPL-3 etc.: each text once
  cat "$f" >> "$tmp"
  echo >> "$tmp"
  echo "%" >> "$tmp"
done
mv "$tmp" "$out_dir/licenses.txt"
echo "make_finetune_corpus: wrote $out_dir/licenses.txt ($(wc -c < "$out_dir/licenses.txt") bytes)"
