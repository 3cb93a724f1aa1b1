#!/usr/bin/env bash
# Installs moec from BUILD_DIR into a fresh prefix, then configures, builds
# and runs test/package as an outside project would, on a random checkpoint
# and a layer module compiled by the build's moe-compile.
set -euo pipefail
build_dir="$(cd "$1" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$here" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build "$work/consumer" > "$work/build.log"
python3 "$here/../../utils/make_checkpoint.py" "$work/model" --hidden-size 64 --num-hidden-layers 2
"$build_dir/bin/moe-compile" layer --model "$work/model" --layer 1 --output "$work/layer1.so"
"$work/consumer/consumer" "$work/model" "$work/layer1.so"
