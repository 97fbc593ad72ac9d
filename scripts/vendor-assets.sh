#!/usr/bin/env bash
# Reproduces the market page's vendored chart library, byte for byte, from the npm registry:
# uPlot (MIT) at the pinned version, its tarball checked against npm's published integrity
# and each file against the sha256 pinned here, copied to crates/router/assets/vendor/.
# CI does not run this: `cargo test -p yellowstone-router` checks the committed files'
# sha256 against these pins. Needs npm and sha256sum; `--check` only compares.
set -euo pipefail
cd "$(dirname "$0")/.."

UPLOT_VERSION=1.6.32
UPLOT_INTEGRITY=sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw==
UPLOT_JS_SHA256=19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f
UPLOT_CSS_SHA256=df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04
UPLOT_LICENSE_SHA256=8f989229699b4fe2f1a0432d0e9edc338a8a911e250e2d1b01ecd770a5f5b1bd

dest=crates/router/assets/vendor/uplot-$UPLOT_VERSION
check_only=false
[[ ${1:-} == --check ]] && check_only=true

# check <file> <sha256>: fails naming the file whose digest differs.
check() {
  local actual
  actual=$(sha256sum "$1" | cut -d' ' -f1)
  if [[ $actual != "$2" ]]; then
    echo "vendor-assets: $1 has sha256 $actual, pinned $2" >&2
    exit 1
  fi
}

if ! $check_only; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # The registry's own record of the release must match the pin before anything is taken.
  published=$(npm view "uplot@$UPLOT_VERSION" dist.integrity)
  if [[ $published != "$UPLOT_INTEGRITY" ]]; then
    echo "vendor-assets: npm publishes $published for uplot@$UPLOT_VERSION, pinned $UPLOT_INTEGRITY" >&2
    exit 1
  fi
  (cd "$work" && npm pack --silent "uplot@$UPLOT_VERSION" >/dev/null)
  tarball=$work/uplot-$UPLOT_VERSION.tgz
  got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [[ $got != "$UPLOT_INTEGRITY" ]]; then
    echo "vendor-assets: the downloaded tarball is $got, pinned $UPLOT_INTEGRITY" >&2
    exit 1
  fi
  tar -xzf "$tarball" -C "$work"
  check "$work/package/dist/uPlot.iife.min.js" "$UPLOT_JS_SHA256"
  check "$work/package/dist/uPlot.min.css" "$UPLOT_CSS_SHA256"
  check "$work/package/LICENSE" "$UPLOT_LICENSE_SHA256"
  mkdir -p "$dest"
  cp "$work/package/dist/uPlot.iife.min.js" "$work/package/dist/uPlot.min.css" \
    "$work/package/LICENSE" "$dest/"
fi

check "$dest/uPlot.iife.min.js" "$UPLOT_JS_SHA256"
check "$dest/uPlot.min.css" "$UPLOT_CSS_SHA256"
check "$dest/LICENSE" "$UPLOT_LICENSE_SHA256"
echo "vendor-assets: $dest holds uplot@$UPLOT_VERSION, every file as pinned"
