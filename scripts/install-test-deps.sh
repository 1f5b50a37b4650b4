#!/usr/bin/env bash
# Installs what the tests talk to, only when it is missing (safe to run again and again):
#   - moto[server]  the AWS API on 127.0.0.1 (PyPI)
#   - awscli        the reference `aws eks get-token` implementation (PyPI)
#   - kubectl       the real client for the end-to-end tests (Debian), if not already present
#   - chattr        to make a read-only directory even as root (Debian e2fsprogs)
#   - bash, zsh, fish  real shells for the completion tests (Debian)
#   - mandoc        to lint the man pages (Debian)
#   - the client matrix: Python and JavaScript Kubernetes clients in .clients/ (scripts/install-client-deps.sh)
set -euo pipefail

log() { printf 'install-test-deps: %s\n' "$*" >&2; }

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  log "python3 is required"; exit 1
fi

missing_py=()
"$python" -c 'import moto, flask' 2>/dev/null && command -v moto_server >/dev/null 2>&1 || missing_py+=('moto[server]')
"$python" -c 'import awscli.customizations.eks.get_token' 2>/dev/null || missing_py+=('awscli')
"$python" -c 'import cryptography, botocore' 2>/dev/null || missing_py+=('cryptography' 'botocore')
if [ ${#missing_py[@]} -gt 0 ]; then
  log "pip install ${missing_py[*]}"
  "$python" -m pip install --quiet --disable-pip-version-check "${missing_py[@]}"
  # pyenv puts new console scripts behind shims that need a rehash.
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi

apt_packages=()
command -v kubectl >/dev/null 2>&1 || apt_packages+=(kubernetes-client)
command -v chattr >/dev/null 2>&1 || apt_packages+=(e2fsprogs)
command -v script >/dev/null 2>&1 || apt_packages+=(util-linux)   # a pty for the MFA tests
[ -x /usr/bin/time ] || apt_packages+=(time)                        # peak RSS in the load test
for tool in bash zsh fish mandoc; do
  command -v "$tool" >/dev/null 2>&1 || apt_packages+=("$tool")
done
if [ ${#apt_packages[@]} -gt 0 ]; then
  log "apt-get install ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${apt_packages[@]}"
fi

# The Kubernetes clients of the compatibility matrix (tests/clients.rs), in .clients/.
"$(dirname "$0")/install-client-deps.sh"
