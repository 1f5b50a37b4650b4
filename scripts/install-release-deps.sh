#!/usr/bin/env bash
# Installs what scripts/release and scripts/test-release need, only when it is missing or at
# another version (safe to run again and again; CI runs it on a fresh machine that has only the
# package registries):
#   - cargo-deb, cargo-generate-rpm: from crates.io at pinned versions (`cargo install
#     --locked`, into cargo's bin directory: built from source, minutes on a fresh machine);
#   - cargo-zigbuild and zig, which it links with (to build against glibc 2.17): the PyPI
#     packages `cargo-zigbuild` (its prebuilt binary: nothing to build) and `ziglang` in a
#     project-local, git-ignored venv, .venv-release/ (Linux only; scripts/release puts its bin
#     first on PATH);
#   - Debian packages for the checks of scripts/test-release: ruby (`ruby -c` of the formula),
#     rpm (reading the .rpm's header), man-db (`man -w`), binutils (objdump); as root, else
#     through `sudo -n`, else it says what to install.
# On macOS only the native cargo build is needed: nothing is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'install-release-deps: %s\n' "$*" >&2; }

ZIGBUILD_VERSION=0.24.1
DEB_VERSION=3.8.0
GENERATE_RPM_VERSION=0.21.1
ZIG_VERSION=0.15.2
VENV=.venv-release

[ "$(uname -s)" = Linux ] || exit 0

# cargo_tool CRATE VERSION: `CRATE --version` (the binary cargo runs for `cargo SUB`) must print
# VERSION.
cargo_tool() {
  if "$1" --version 2>/dev/null | grep -qw "$2"; then
    return 0
  fi
  log "cargo install --locked $1@$2 (built from source, once: minutes)"
  cargo install --quiet --locked --version "$2" "$1"
}
cargo_tool cargo-deb "$DEB_VERSION"
cargo_tool cargo-generate-rpm "$GENERATE_RPM_VERSION"

if ! [ -x "$VENV/bin/python" ] ||
   ! "$VENV/bin/python" -m ziglang version 2>/dev/null | grep -qx "$ZIG_VERSION" ||
   ! "$VENV/bin/cargo-zigbuild" --version 2>/dev/null | grep -qw "$ZIGBUILD_VERSION"; then
  log "pip install ziglang==$ZIG_VERSION cargo-zigbuild==$ZIGBUILD_VERSION (into $VENV)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "ziglang==$ZIG_VERSION" "cargo-zigbuild==$ZIGBUILD_VERSION"
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    as_root=(none)
  fi
fi
missing=()
command -v ruby >/dev/null 2>&1 || missing+=(ruby)
command -v rpm >/dev/null 2>&1 || missing+=(rpm)
command -v man >/dev/null 2>&1 || missing+=(man-db)
command -v objdump >/dev/null 2>&1 || missing+=(binutils)
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1 || [ "${as_root[*]}" = none ]; then
    log "cannot install ${missing[*]} here (no apt-get, or not root without password-less sudo)"
    exit 0
  fi
  log "apt-get install --no-install-recommends ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
