#!/usr/bin/env bash
# Installs what moec needs on Debian 12: LLVM/MLIR 22 from Debian's packages,
# clang's sanitizer and libFuzzer runtimes, the build tools and the test
# dependencies. Installs nothing already there.
set -euo pipefail

packages=(libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22
          libclang-rt-22-dev libomp-22-dev cmake ninja-build g++ libgtest-dev libopenblas-dev
          libpcre2-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The end-to-end tests compare against a float64 NumPy reference, and the
# tokenizer against Hugging Face tokenizers; the Python package builds with
# scikit-build-core and nanobind.
if ! python3 -c "import numpy, pytest, tokenizers, scikit_build_core, nanobind" 2>/dev/null; then
  echo "install-deps: installing numpy, pytest, tokenizers, scikit-build-core and nanobind with pip"
  python3 -m pip install -q numpy pytest tokenizers scikit-build-core nanobind
fi
