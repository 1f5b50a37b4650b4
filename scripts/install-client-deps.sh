#!/usr/bin/env bash
# Installs the Kubernetes clients of the compatibility matrix (tests/it/clients.rs) into
# project-local, git-ignored directories under .clients/, only when missing (safe to rerun):
#   .clients/py-new   a venv: kubernetes (newest), kubernetes_asyncio, lightkube, kr8s
#   .clients/py-33    a venv: kubernetes 33 (passes the raw cluster extensions, no config)
#   .clients/node     @kubernetes/client-node 1.x, for the pinned node of
#                     scripts/install-pinned-tools.py (.clients/node-VERSION)
# Nothing goes into the system's Python or node. Versions are pinned so the matrix in the
# README stays reproducible.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'install-client-deps: %s\n' "$*" >&2; }

python=${PYTHON:-python3}
root=.clients
mkdir -p "$root"

# venv DIR PACKAGE... : a venv with exactly these pins, reinstalled when the pins change.
venv() {
  local dir=$root/$1; shift
  local stamp="$dir/.pins"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$*" ] && [ -x "$dir/bin/python" ]; then
    return
  fi
  log "venv $dir: $*"
  rm -rf "$dir"
  if ! "$python" -m venv "$dir" 2>/dev/null; then
    # Debian's python3 needs python3-venv for ensurepip.
    if command -v apt-get >/dev/null 2>&1; then
      local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    fi
    rm -rf "$dir"
    "$python" -m venv "$dir"
  fi
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
  printf '%s' "$*" > "$stamp"
}

venv py-new kubernetes==37.0.2 kubernetes_asyncio==36.1.0 lightkube==1.0.1 kr8s==0.20.15
venv py-33 kubernetes==33.1.0

node_pin='@kubernetes/client-node@1.4.0'
# node 22 and its npm, pinned, in .clients/node-VERSION (client-node 1.x is ESM-only: the node
# 18 of Debian 12 cannot require() it); elsewhere than x86_64 Linux the machine's node.
if node_bin=$("$python" scripts/install-pinned-tools.py node) && [ -n "$node_bin" ]; then
  PATH="$node_bin:$PATH"
fi
# The official node trusts only its own copy of Mozilla's CAs, where Debian's trusts the system's:
# give it the system's too (a proxy's CA added with update-ca-certificates, say).
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -s /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "apt-get install nodejs npm"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ ! -f "$root/node/.pins" ] || [ "$(cat "$root/node/.pins")" != "$node_pin" ]; then
  log "npm $node_pin into $root/node"
  rm -rf "$root/node"
  mkdir -p "$root/node"
  # Bounded: npm's own time limit per request and two retries (it retries quietly otherwise).
  (cd "$root/node" && npm init -y >/dev/null &&
    npm install --loglevel=error --no-audit --no-fund --fetch-timeout=60000 --fetch-retries=2 \
      "$node_pin" >/dev/null)
  printf '%s' "$node_pin" > "$root/node/.pins"
fi
