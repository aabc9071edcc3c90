#!/usr/bin/env bash
# Creates the Python environment the Hugging Face interop test uses: a virtual
# environment over Debian's interpreter (/usr/bin/python3, which has
# python3-torch 1.13) with `transformers` and its loaders installed from PyPI,
# pinned to versions that work with torch 1.13. The environment lives in
# $FORGE_INTEROP_VENV (default ~/.cache/forge/venv-interop). Safe to re-run and
# to run concurrently (a lock serialises installs); exits non-zero when the
# packages cannot be installed (no network), which the test reports as a skip.
set -euo pipefail
source "$(dirname "$0")/python_venv.sh"

venv="${FORGE_INTEROP_VENV:-$HOME/.cache/forge/venv-interop}"
pins=(transformers==4.36.2 tokenizers==0.15.2 safetensors==0.8.0 huggingface-hub==0.36.2)

ready() {
  [ -x "$venv/bin/python" ] &&
    "$venv/bin/python" -c 'import torch, transformers, sys; sys.exit(transformers.__version__ != "4.36.2")' 2>/dev/null
}

ensure_venv "$venv" transformers 4.36.2 ready "${pins[@]}"
