#!/usr/bin/env bash
# Rebuilds DevMor.hex and DevMor.meta.json, the devnet's EVM MOR, from DevMor.sol with the
# exact solc-js and OpenZeppelin versions pinned in package.json and package-lock.json
# (`npm ci`, so the lock file decides). Needs node and npm; CI does not run this: it checks
# the committed files (devnet test `mor_erc20::`). Run it after changing DevMor.sol or a pin,
# then commit DevMor.hex and DevMor.meta.json.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts >/dev/null
node build.js
