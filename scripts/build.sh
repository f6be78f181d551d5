#!/usr/bin/env bash
# Configures and builds uringd into build/ (BUILD_TYPE defaults to RelWithDebInfo).
set -euo pipefail
cd "$(dirname "$0")/.."
build_type=${BUILD_TYPE:-RelWithDebInfo}
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" "$@"
cmake --build "$build_dir" -j"$(nproc)"
