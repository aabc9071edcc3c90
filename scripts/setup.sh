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
  libgtest-dev googletest         # unit tests
  python3 python3-numpy python3-torch  # golden values and side-by-side benchmarks
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
