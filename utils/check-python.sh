#!/usr/bin/env bash
# The Python package as a user gets it: installs moec from BUILD_DIR into a
# fresh prefix, pip-installs ./python against it into a fresh virtual
# environment, and runs python/tests there (against the float64 reference
# and the installed CLI).
#
#   utils/check-python.sh BUILD_DIR
set -euo pipefail
build_dir="$(cd "$1" && pwd)"
source_dir="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
# The venv sees the system site-packages (NumPy, pytest, and the build
# requirements installed by utils/install-deps.sh), so nothing is downloaded.
python3 -m venv --system-site-packages "$work/venv"
if ! CMAKE_PREFIX_PATH="$work/prefix" "$work/venv/bin/pip" install -q \
    --no-build-isolation --no-deps "$source_dir/python" > "$work/pip.log" 2>&1; then
  cat "$work/pip.log" >&2
  exit 1
fi
cd "$source_dir/python/tests"
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider .
