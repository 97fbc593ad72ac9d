#!/usr/bin/env bash
# What each crate may link, checked on its normal (non-dev) dependency tree: a crate's
# dependencies say what it may touch. Fails naming the crate and the forbidden dependency.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
# forbid <package> [cargo tree flags...] -- <crate names that must not appear>
forbid() {
  local package=$1; shift
  local flags=()
  while [[ $1 != "--" ]]; do flags+=("$1"); shift; done
  shift
  local tree
  tree=$(cargo tree --locked -p "$package" "${flags[@]}" -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u)
  local broken=0
  for name in "$@"; do
    if grep -qx "$name" <<<"$tree"; then
      echo "boundary broken: $package ${flags[*]} depends on $name" >&2
      broken=1
    fi
  done
  if (( broken )); then status=1; else echo "ok  $package ${flags[*]}: none of $*"; fi
}

dev_chain=(revm wasmi yellowstone-devnet)
forbid yellowstone-api -- tokio rusqlite axum reqwest "${dev_chain[@]}"
forbid yellowstone-market -- tokio axum rusqlite reqwest "${dev_chain[@]}"
forbid yellowstone-store -- axum reqwest "${dev_chain[@]}"
forbid yellowstone-chain -- axum rusqlite yellowstone-store "${dev_chain[@]}"
forbid yellowstone-router -- "${dev_chain[@]}"
forbid yellowstone-gateway -- rusqlite yellowstone-store yellowstone-market "${dev_chain[@]}"
forbid yellowstone-client -- rusqlite yellowstone-store yellowstone-market "${dev_chain[@]}"
forbid yellowstone --no-default-features -- "${dev_chain[@]}"
# The two contracts share rules only through yellowstone-protocol, never each other's code.
forbid yellowstone-compute -- yellowstone-capital
forbid yellowstone-capital -- yellowstone-compute
exit $status
