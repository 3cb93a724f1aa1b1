#!/usr/bin/env bash
# Installs moec from BUILD_DIR into a fresh prefix, then, as outside
# projects would, builds test/package (an MLP block) and examples/chat (a
# whole model, streaming text) against the installed package through
# find_package(moec), compiles a small random checkpoint with the installed
# moe-compile, and runs both. The chat's text must be what moe-run generates
# for the same prompt, and the runtime library must need no LLVM or MLIR.
set -euo pipefail
build_dir="$(cd "$1" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
source_dir="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
cmake --install "$build_dir" --prefix "$prefix" > "$work/install.log"

lib="$(find "$prefix" -name 'libmoec_runtime.so*' -type f | head -1)"
if ldd "$lib" | grep -Ei 'libMLIR|libLLVM|libclang'; then
  echo "check.sh: $lib needs LLVM or MLIR at run time" >&2
  exit 1
fi

for project in "$here" "$source_dir/examples/chat"; do
  name="$(basename "$project")"
  cmake -S "$project" -B "$work/$name" -G Ninja \
    -DCMAKE_PREFIX_PATH="$prefix" > "$work/$name-configure.log"
  cmake --build "$work/$name" > "$work/$name-build.log"
done

python3 "$source_dir/utils/make_checkpoint.py" "$work/model" --hidden-size 64 \
  --num-hidden-layers 2 --tokenizer deepseek-llm > /dev/null
"$prefix/bin/moe-compile" layer --model "$work/model" --layer 1 \
  --output "$work/layer1.so"
"$work/package/consumer" "$work/model" "$work/layer1.so"

"$prefix/bin/moe-compile" model --model "$work/model" --output "$work/model.so"
chat="$("$work/chat/moec-chat" "$work/model" "$work/model.so" \
  --prompt "Hello there" --max-new-tokens 12 --threads 1)"
expected="$("$prefix/bin/moe-run" generate --model "$work/model" \
  --module "$work/model.so" --max-new-tokens 12 \
  --prompt "$(printf 'User: Hello there\n\nAssistant:')" | tail -n +2)"
if [[ "$chat" != "$expected" ]]; then
  printf 'check.sh: moec-chat wrote\n%s\nbut moe-run generates\n%s\n' \
    "$chat" "$expected" >&2
  exit 1
fi
# Two turns on one session: the second answers after the first's cache.
printf 'Hello there\nAnd again\n' |
  "$work/chat/moec-chat" "$work/model" "$work/model.so" --max-new-tokens 4 \
    > "$work/turns.txt"
[[ $(wc -l < "$work/turns.txt") -ge 2 ]]
echo "installed package: MLP block, and moec-chat agrees with moe-run"
