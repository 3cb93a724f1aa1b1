#!/usr/bin/env bash
# Fuzzes one target for a long while, from its seed corpus plus what earlier
# runs found. Needs a build with -DMOEC_FUZZ=ON (see the README).
#
#   utils/fuzz.sh TARGET [SECONDS] [BUILD_DIR] [-- LIBFUZZER_FLAGS...]
#
# TARGET is npy, checkpoint or ir; SECONDS defaults to 3600, BUILD_DIR to
# build-san. New inputs go to BUILD_DIR/test/fuzz/TARGET/corpus, crash
# reproducers to BUILD_DIR/test/fuzz/TARGET/crashes; the source tree's seeds
# are only read. The last lines give the number of executions
# (stat::number_of_executed_units). Replay a reproducer with
# `BUILD_DIR/bin/moec-TARGET-fuzzer FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:?usage: utils/fuzz.sh npy|checkpoint|ir [SECONDS] [BUILD_DIR] [-- FLAGS...]}
shift
seconds=3600
build=build-san
[[ $# -gt 0 && $1 != -- ]] && { seconds=$1; shift; }
[[ $# -gt 0 && $1 != -- ]] && { build=$1; shift; }
[[ $# -gt 0 && $1 == -- ]] && shift

case $target in
  npy|checkpoint|ir) ;;
  *) echo "utils/fuzz.sh: unknown target '$target' (npy, checkpoint or ir)" >&2
     exit 2 ;;
esac
fuzzer=$build/bin/moec-$target-fuzzer
help=$([[ -x $fuzzer ]] && "$fuzzer" -help=1 2>&1 || true)
if [[ $help != *"To run fuzzing"* ]]; then
  echo "utils/fuzz.sh: $fuzzer is not a libFuzzer binary; configure $build with" \
       "-DMOEC_FUZZ=ON (clang-22) and build it" >&2
  exit 2
fi

work=$build/test/fuzz/$target
mkdir -p "$work/corpus" "$work/crashes"
dict=()
[[ -f test/fuzz/$target.dict ]] && dict=(-dict=test/fuzz/$target.dict)
exec "$fuzzer" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/crashes/" "${dict[@]}" "$@" \
  "$work/corpus" "test/fuzz/corpus/$target"
