#!/usr/bin/env bash
# Exports the contracts' ABIs into abi/: each one's Solidity interface and its JSON ABI.
#   scripts/export-abi.sh          write abi/IYellowstoneCompute.{sol,json} and abi/IYellowstoneCapital.{sol,json}
#   scripts/export-abi.sh --check  fail when the committed files differ from a fresh export
set -euo pipefail
cd "$(dirname "$0")/.."

# contract name (the package and binary suffix) and its interface's file name
contracts=(compute:IYellowstoneCompute capital:IYellowstoneCapital)

export_abi() {
  local name=$1
  shift
  cargo run --quiet --locked -p "yellowstone-$name" --features export-abi --bin "yellowstone-$name-abi" -- "$@"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files=()
for entry in "${contracts[@]}"; do
  name=${entry%%:*}
  interface=${entry#*:}
  export_abi "$name" > "$tmp/$interface.sol"
  export_abi "$name" --json > "$tmp/$interface.json"
  files+=("$interface.sol" "$interface.json")
done

if [[ "${1:-}" == "--check" ]]; then
  stale=0
  for f in "${files[@]}"; do
    if ! diff -u "abi/$f" "$tmp/$f"; then
      echo "abi/$f is stale: run scripts/export-abi.sh and commit the result" >&2
      stale=1
    fi
  done
  [[ $stale == 0 ]] && echo "abi/ is up to date with the contracts"
  exit $stale
fi

mkdir -p abi
for f in "${files[@]}"; do
  cp "$tmp/$f" abi/
done
echo "wrote ${files[*]/#/abi/}"
