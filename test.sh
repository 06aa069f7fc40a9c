#!/usr/bin/env bash
# Runs every check of the project on a machine that has only the Rust
# toolchain and Python 3 with pip: it installs what else the tests call.
#   formatting, clippy (warnings are errors), every Rust test, the docs,
#   then the Python package's tests in a virtualenv of its own (.venv),
#   which use the debug binaries the Rust tests built.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n==> %s\n' "$*"; }

# Installs the Debian packages named, unless `command -v` finds the command
# given before each (command:package pairs).
apt_install() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  step "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Tools the tests run for real: jq and gzip/zcat check compatibility, and
# the live plot is opened in Debian's Chromium (driven by playwright).
apt_install jq:jq gzip:gzip zcat:gzip chromium:chromium

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test"
cargo test --workspace

step "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

if [ -f python/pyproject.toml ]; then
  step "python tests"
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q "./python[test]"
  .venv/bin/python -m pytest -q python/tests
fi

step "all checks passed"
