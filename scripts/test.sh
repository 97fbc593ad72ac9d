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
# From PyPI: the official `openai` Python client, for the tests of `yellowstone user proxy`;
# llama.cpp's server (`llama-cpp-python[server]`) and `gguf`, for the test behind a real
# inference server (bin/yellowstone/tests/it/llama.rs). A cold run builds llama.cpp from source
# (about 6 minutes on 2 cores); pip's wheel cache makes later runs on the machine take seconds.
step "Python clients and llama.cpp's server (PyPI)"
if [[ ! -x target/pyenv/bin/python ]] \
  || ! target/pyenv/bin/python -c "import openai, gguf, llama_cpp.server" 2>/dev/null; then
  python3 -m venv target/pyenv
  target/pyenv/bin/pip install --quiet --disable-pip-version-check \
    openai 'llama-cpp-python[server]==0.3.36' 'gguf==0.19.0'
fi
target/pyenv/bin/python -c "import openai, llama_cpp; print('openai', openai.__version__, 'llama-cpp-python', llama_cpp.__version__)"
# Debian's Chromium, for the test of the market page in a real browser.
if ! command -v chromium >/dev/null; then
  step "Chromium (Debian)"
  if [[ $(id -u) -eq 0 ]]; then apt_get=(apt-get); else apt_get=(sudo apt-get); fi
  "${apt_get[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq --no-install-recommends chromium >/dev/null
fi
chromium --version

step "contract artifacts (normalise, strip, brotli 11, EF F0 00 00; fail above 24,576 bytes or on any float)"
cargo run --locked --quiet --bin yellowstone -- build-contract
cargo run --locked --quiet --bin yellowstone -- build-contract --package yellowstone-capital
cargo run --locked --quiet --bin yellowstone -- build-contract --package yellowstone-mor-token
cargo run --locked --quiet --bin yellowstone -- build-contract --package yellowstone-example-counter

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
