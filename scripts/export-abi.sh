#!/usr/bin/env bash
# Exports the compute contract's ABI into abi/: the Solidity interface and its JSON ABI.
#   scripts/export-abi.sh          write abi/IYellowstoneCompute.{sol,json}
#   scripts/export-abi.sh --check  fail when the committed files differ from a fresh export
set -euo pipefail
cd "$(dirname "$0")/.."

export_abi() {
  cargo run --quiet --locked -p yellowstone-compute --features export-abi --bin yellowstone-compute-abi -- "$@"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export_abi > "$tmp/IYellowstoneCompute.sol"
export_abi --json > "$tmp/IYellowstoneCompute.json"

if [[ "${1:-}" == "--check" ]]; then
  stale=0
  for f in IYellowstoneCompute.sol IYellowstoneCompute.json; do
    if ! diff -u "abi/$f" "$tmp/$f"; then
      echo "abi/$f is stale: run scripts/export-abi.sh and commit the result" >&2
      stale=1
    fi
  done
  [[ $stale == 0 ]] && echo "abi/ is up to date with the contract"
  exit $stale
fi

mkdir -p abi
cp "$tmp/IYellowstoneCompute.sol" "$tmp/IYellowstoneCompute.json" abi/
echo "wrote abi/IYellowstoneCompute.sol and abi/IYellowstoneCompute.json"
