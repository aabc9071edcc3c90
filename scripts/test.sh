#!/usr/bin/env bash
# The README's test command and what CI runs. Installs what the tests need,
# then:
#  1. builds forge (Release, assertions on) and runs every test with ctest;
#  2. builds the libraries again with clang under AddressSanitizer +
#     UndefinedBehaviorSanitizer (-O1, no CUDA, no benchmarks) and runs the
#     libFuzzer targets of tests/fuzz there (docs/testing.md, "Sanitizers and
#     fuzzing").
# FORGE_SANITIZE=0 skips stage 2; FORGE_FUZZ_SECONDS sets each fuzz target's
# time (default 15).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
jobs="$(nproc)"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi

build_dir="${FORGE_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}"
cmake --build "$build_dir" -j "$jobs"
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout 600

if [ "${FORGE_SANITIZE:-1}" = 0 ]; then exit 0; fi
san_dir="${FORGE_SANITIZE_BUILD_DIR:-build-sanitize}"
cmake -S . -B "$san_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFORGE_SANITIZE=ON -DFORGE_CUDA=OFF -DFORGE_BENCH=OFF \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DFORGE_FUZZ_SECONDS="${FORGE_FUZZ_SECONDS:-15}" "${launcher[@]}"
fuzz_targets=(fuzz_recipe fuzz_gpt2_tokenizer fuzz_tokenizer_json fuzz_safetensors fuzz_hf_config
              fuzz_chat_line fuzz_prepare_documents fuzz_checkpoint_metadata)
cmake --build "$san_dir" -j "$jobs" --target "${fuzz_targets[@]}"
# Any report fails its test: UBSan aborts (-fno-sanitize-recover), ASan and
# LeakSanitizer abort.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir "$san_dir" --output-on-failure -j "$jobs" --timeout 600 -R '^fuzz_'
