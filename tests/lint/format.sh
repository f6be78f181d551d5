#!/usr/bin/env bash
# The C++ sources as .clang-format writes them: any difference fails, with the file
# and the line (clang-format --dry-run). Fix with: bash tests/lint/format.sh --fix
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' 2>/dev/null || find src include tests -name '*.[ch]pp')
[[ ${#files[@]} -gt 0 ]] || { echo "format: no sources found"; exit 1; }
if [[ ${1:-} == --fix ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
clang-format --dry-run --Werror "${files[@]}"
echo "format: ${#files[@]} files as .clang-format writes them ($(clang-format --version | head -1))"
