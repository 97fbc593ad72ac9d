#!/usr/bin/env bash
# The project's test command (the README's): installs what the build needs, builds the
# deployable contract and fails above the Stylus size limit, checks that the exported ABI and
# the multiplier reference fixture are fresh, runs every test in the workspace, then holds the
# layout to its rules: crate boundaries, clippy and rustdoc without warnings, small files.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step prints the seconds since the script started, so a CI log shows where time went.
step() { printf '\n== %s (at %d s)\n' "$*" "$SECONDS"; }

step "toolchain"
rustup target add wasm32-unknown-unknown 2>&1 | grep -v "is up to date" || true
rustup component add clippy rustfmt 2>&1 | grep -v "is up to date" || true
cargo --version
command -v python3 >/dev/null || { echo "python3 is required (stdlib only)" >&2; exit 1; }
# foundry's cast, a client nobody here wrote, for the devnet test (npm ships its binary).
if [[ ! -x target/npm/node_modules/.bin/cast ]]; then
  npm install --prefix target/npm --no-audit --no-fund --silent @foundry-rs/cast
fi
target/npm/node_modules/.bin/cast --version | head -n 1
# The official `openai` Python client (from PyPI), for the test of `yellowstone user proxy`.
if [[ ! -x target/pyenv/bin/python ]] || ! target/pyenv/bin/python -c "import openai" 2>/dev/null; then
  python3 -m venv target/pyenv
  target/pyenv/bin/pip install --quiet --disable-pip-version-check openai
fi
target/pyenv/bin/python -c "import openai; print('openai', openai.__version__)"

step "contract artifacts (normalise, strip, brotli 11, EF F0 00 00; fail above 24,576 bytes or on any float)"
cargo run --locked --quiet --bin yellowstone -- build-contract
cargo run --locked --quiet --bin yellowstone -- build-contract --package yellowstone-capital
cargo run --locked --quiet --bin yellowstone -- build-contract --package yellowstone-mor-token

step "exported ABI is fresh"
scripts/export-abi.sh --check

step "multiplier reference fixture is reproducible"
python3 scripts/multiplier_reference.py --check

step "rustfmt"
cargo fmt --all --check

step "no source file over 800 lines (tests aside)"
scripts/check-file-sizes.sh

step "crate boundaries (cargo tree -e normal)"
scripts/check-boundaries.sh

step "tests"
cargo test --locked --workspace

step "the patched stylus-core answers as upstream (patches/README.md)"
cargo test --locked --quiet --manifest-path patches/stylus-core/Cargo.toml --target-dir target/patches

step "production binary without the dev tools (no devnet, revm or wasmi)"
cargo build --locked --quiet -p yellowstone --no-default-features

step "clippy, every target, warnings are errors"
cargo clippy --locked --quiet --workspace --all-targets -- -D warnings

step "rustdoc, warnings are errors"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --quiet --workspace --no-deps

step "done"
