#!/usr/bin/env bash
# Gathers the default corpus for the main job: the English fortune-cookie
# collection from Debian's `fortunes` package (~2.5 MB of real text, installed
# by scripts/setup.sh). Writes one file, OUT_DIR/fortunes.txt, where a line
# holding only '%' separates documents (the fortune files' own format).
# ASCII-art collections are left out: they are pictures, not language.
set -euo pipefail
out_dir="${1:-data/corpus}"
src=/usr/share/games/fortunes
[ -d "$src" ] || { echo "make_corpus: $src not found; run scripts/setup.sh first" >&2; exit 1; }
mkdir -p "$out_dir"
tmp="$out_dir/fortunes.txt.tmp"
: > "$tmp"
for f in "$src"/*; do
  name=$(basename "$f")
  case "$name" in *.dat|*.u8|art|ascii-art) continue ;; esac
  [ -f "$f" ] || continue
  cat "$f" >> "$tmp"
  # make sure each collection ends with a separator line
  tail -c1 "$f" | od -An -c | grep -q '\\n' || echo >> "$tmp"
  echo "%" >> "$tmp"
done
mv "$tmp" "$out_dir/fortunes.txt"
echo "make_corpus: wrote $out_dir/fortunes.txt ($(wc -c < "$out_dir/fortunes.txt") bytes)"
