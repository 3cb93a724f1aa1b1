#!/usr/bin/env bash
# The sanitizer half of the test suite, after the main build's tests (it
# reuses the model that build's runtime-threads-setup test compiled):
#
# - build-san: moec's code under AddressSanitizer + UndefinedBehaviorSanitizer
#   (clang-22), with the libFuzzer targets. Runs the unit tests (loader,
#   runtime, seed corpora), the runtime threads test, the lit tests (the same
#   IR from a clang build as from the main g++ one), the end-to-end tests
#   of hostile input, compile modes, layers and the CLI, and each fuzz target
#   for MOEC_FUZZ_SECONDS (default 30).
# - build-tsan: the runtime under ThreadSanitizer, running sessions on one
#   model from several threads.
#
#   utils/check-sanitized.sh [MAIN_BUILD_DIR]      (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
main=${1:-build}
model=$main/test/unit/threads-model
if [[ ! -f $model/model.so ]]; then
  echo "check-sanitized: $model/model.so is missing; run the main build's" \
       "tests first (ctest --test-dir $main)" >&2
  exit 1
fi

export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-22/bin/llvm-symbolizer
export UBSAN_OPTIONS=print_stacktrace=1
export TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/test/unit/tsan.supp"
# -O1, the usual level for sanitizer builds: quicker to build than -O3 and
# fast enough to run.
clang=(-G Ninja -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22
       -DCMAKE_C_FLAGS_RELEASE=-O1 -DCMAKE_CXX_FLAGS_RELEASE=-O1)

cmake -S . -B build-san "${clang[@]}" -DMOEC_SANITIZE=address,undefined \
  -DMOEC_FUZZ=ON -DMOEC_FUZZ_SECONDS="${MOEC_FUZZ_SECONDS:-30}"
cmake --build build-san -j2
# Every test but the installed-package check (an uninstrumented program
# cannot load a sanitized library) and the two slowest end-to-end files
# (whole models and the tokenizer: six minutes more under ASan; they pass).
ctest --test-dir build-san --output-on-failure -j2 -LE package \
  -E '^e2e-(model|tokenizer)$'

cmake -S . -B build-tsan "${clang[@]}" -DMOEC_SANITIZE=thread
cmake --build build-tsan -j2 --target moec-runtime-threads-test
build-tsan/test/unit/moec-runtime-threads-test "$model" "$model/model.so"
