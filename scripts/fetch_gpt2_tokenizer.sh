#!/usr/bin/env bash
# Puts the real GPT-2 tokenizer files (vocab.json + merges.txt) where forge's
# GPT-2 compatibility test looks for them: $FORGE_GPT2_DIR, by default
# ~/.cache/forge/gpt2. They come from PyPI: the openai-whisper 20230124 source
# package ships GPT-2's files as whisper/assets/gpt2/ (checked by MD5 below).
# The package is only downloaded and unpacked, never installed. Safe to re-run;
# without network the test skips and says so.
set -euo pipefail

dest="${FORGE_GPT2_DIR:-$HOME/.cache/forge/gpt2}"
vocab_md5=22377f841debacb023848b3468ea3281
merges_md5=093ecf3f30371012f2e96fcfb10ea6ab

have() { [ -s "$dest/$1" ] && [ "$(md5sum "$dest/$1" | cut -d' ' -f1)" = "$2" ]; }
if have vocab.json "$vocab_md5" && have merges.txt "$merges_md5"; then exit 0; fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# pip reads an sdist's metadata while downloading it: give it setuptools and
# wheel in a throwaway virtual environment.
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check setuptools wheel
"$tmp/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
  --no-build-isolation openai-whisper==20230124 -d "$tmp"
tar -xzf "$tmp/openai-whisper-20230124.tar.gz" -C "$tmp" \
  openai-whisper-20230124/whisper/assets/gpt2/vocab.json openai-whisper-20230124/whisper/assets/gpt2/merges.txt
mkdir -p "$dest"
cp "$tmp/openai-whisper-20230124/whisper/assets/gpt2/vocab.json" "$tmp/openai-whisper-20230124/whisper/assets/gpt2/merges.txt" "$dest/"
have vocab.json "$vocab_md5" && have merges.txt "$merges_md5" || { echo "fetch_gpt2_tokenizer: checksum mismatch in $dest" >&2; exit 1; }
echo "GPT-2 tokenizer files in $dest"
