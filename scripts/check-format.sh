#!/usr/bin/env bash
# check-format.sh - fails when a C++ file the repository tracks is not formatted as
# .clang-format says; prints the first differences. Fix with: clang-format -i FILE...
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
if ! out=$(clang-format --dry-run --Werror "${files[@]}" 2>&1); then
  echo "$out" | head -40
  echo "check-format: $(echo "$out" | grep -c 'error:') places are not formatted (clang-format -i the files above)"
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
