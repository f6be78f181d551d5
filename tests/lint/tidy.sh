#!/usr/bin/env bash
# clang-tidy with the checks in .clang-tidy over every source under src/, using the
# build's compile_commands.json (BUILD_DIR, default build). Any finding fails.
# TIDY_JOBS processes at once (default: every CPU; ctest gives it one, so the other
# tests keep theirs).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
[[ -f $build/compile_commands.json ]] || { echo "tidy: no $build/compile_commands.json (build first)"; exit 1; }
mapfile -t files < <(find src -name '*.cpp' | sort)
jobs=${TIDY_JOBS:-$(nproc)}
printf '%s\n' "${files[@]}" | xargs -P "$jobs" -n 4 clang-tidy -p "$build" --quiet 2> >(grep -v "warnings generated" >&2)
echo "tidy: ${#files[@]} files, no finding"
