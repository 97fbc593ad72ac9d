#!/usr/bin/env bash
# No source file over 800 lines outside tests: a file that long holds more than one concern.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=800
over=$(git ls-files -- '*.rs' ':!:**/tests/**' | while read -r f; do
  n=$(wc -l <"$f")
  (( n > limit )) && echo "$n $f"
done || true)
if [[ -n $over ]]; then
  echo "source files over $limit lines (split them by concern):" >&2
  echo "$over" >&2
  exit 1
fi
echo "ok  every source file outside tests/ is at most $limit lines"
