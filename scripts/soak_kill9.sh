#!/usr/bin/env bash
# Crash-safety soak (docs/checkpoints.md, "Soak"): kills a training run with
# SIGKILL at KILLS random moments (default 20; many inside checkpoint writes),
# resumes it after each, and checks that the final weights and every logged
# loss are bitwise those of an uninterrupted run and that no temporary file is
# left. SEED fixes the moments (default: from the clock; printed).
#   scripts/soak_kill9.sh [KILLS] [SEED]
# Needs a built tree (bash scripts/test.sh, or cmake --build build); ctest runs
# the same test with 5 kills.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${FORGE_BUILD_DIR:-build}"
kills="${1:-20}"
seed_env=()
if [[ $# -ge 2 ]]; then seed_env=(FORGE_SOAK_SEED="$2"); fi
env FORGE_SOAK_KILLS="$kills" "${seed_env[@]}" "$build_dir/tests/forge_tests" --gtest_filter='SoakKill9.*'
