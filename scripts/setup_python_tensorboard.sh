#!/usr/bin/env bash
# Creates the Python environment the TensorBoard monitoring test reads forge's
# event files with: a virtual environment over Debian's interpreter
# (/usr/bin/python3, --system-site-packages for its numpy) with `tensorboard`
# installed from PyPI, pinned. The environment lives in $FORGE_TENSORBOARD_VENV
# (default ~/.cache/forge/venv-tensorboard). Safe to re-run and to run
# concurrently (a lock serialises installs); exits non-zero when the package
# cannot be installed (no network), which the test reports as a skip.
set -euo pipefail
source "$(dirname "$0")/python_venv.sh"

venv="${FORGE_TENSORBOARD_VENV:-$HOME/.cache/forge/venv-tensorboard}"
version=2.21.0

ready() {
  [ -x "$venv/bin/python" ] &&
    "$venv/bin/python" -c "import sys, tensorboard
from tensorboard.backend.event_processing import event_accumulator
sys.exit(tensorboard.__version__ != '$version')" 2>/dev/null
}

ensure_venv "$venv" tensorboard "$version" ready "tensorboard==$version"
