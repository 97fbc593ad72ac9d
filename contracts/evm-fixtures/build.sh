#!/usr/bin/env bash
# Rebuilds out/, the devnet's EVM fixtures of the capital side: the Solidity in src/ compiled with
# the exact solc-js and OpenZeppelin pinned in package.json and package-lock.json, and the genuine
# Uniswap V2 creation bytecode extracted, unedited, from the pinned npm packages' build/*.json
# (`npm ci`, so the lock file decides). Needs node and npm; CI does not run this: it checks the
# committed files (devnet tests `uniswap::`, `steth::`). Run it after changing a source or a pin,
# then commit out/.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts >/dev/null
node build.js
