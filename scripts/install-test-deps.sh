#!/usr/bin/env bash
# Installs what the tests talk to, only when it is missing (safe to run again and again):
#   - Python: moto[server] (the AWS API on 127.0.0.1), awscli (the reference `aws eks
#     get-token`), botocore and cryptography (the token-checking API server). When the python3
#     on PATH lacks them they go into a project-local venv, .venv-test/ (git-ignored): stock
#     Debian Python refuses `pip install` (PEP 668), and nothing is installed for the user.
#   - Debian packages: kubectl (kubernetes-client, but on x86_64 Linux, where scripts/test
#     installs a pinned kubectl with scripts/install-pinned-tools.py), chattr (e2fsprogs), script (util-linux),
#     /usr/bin/time (time), bash, zsh and fish (the per-shell tests run each under a pty, and
#     completion), mandoc; man (man-db), jq and curl (the documentation's commands,
#     tests/it/docs.rs); python3-venv when a venv cannot be made.
#     As root directly, else through `sudo -n` (never a password prompt); without either, or
#     without apt (macOS), it says exactly what to install and leaves it to scripts/test to
#     skip the tests that need it.
#
# The Kubernetes clients of the compatibility matrix are installed by install-client-deps.sh.
#
# Prints nothing but what it does. Exit status 0 unless something it tried failed.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'install-test-deps: %s\n' "$*" >&2; }

VENV=.venv-test
PY_PACKAGES=('moto[server]' awscli botocore cryptography)
# Importable names, and the console script the tests start.
py_ready() {
  "$1" -c 'import moto, flask, boto3, botocore, cryptography, awscli.customizations.eks.get_token' \
    2>/dev/null || return 1
  [ -x "$(dirname "$(command -v "$1")")/moto_server" ] || command -v moto_server >/dev/null 2>&1
}

# How to run a command as root here: directly, through sudo without a prompt, or not at all.
as_root=()
can_root=yes
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    can_root=no
  fi
fi
have_apt=no
command -v apt-get >/dev/null 2>&1 && have_apt=yes

apt_install() {
  if [ "$have_apt" = no ]; then
    if [ "$(uname -s)" = Darwin ]; then
      log "no apt here: install with Homebrew: brew install $*"
    else
      log "no apt-get here: install these with your package manager: $*"
    fi
    return 1
  fi
  if [ "$can_root" = no ]; then
    log "not root and no password-less sudo: run  sudo apt-get install --no-install-recommends $*"
    return 1
  fi
  log "apt-get install --no-install-recommends $*"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Debian packages (names on the left are what the tests call) ---------------------------
apt_packages=()
# kubectl: on x86_64 Linux scripts/install-pinned-tools.py installs a pinned one into .clients/
# (Debian 12's kubernetes-client is 1.20, too old for the sign-in tests); elsewhere the system's.
if ! command -v kubectl >/dev/null 2>&1 && ! { [ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ]; }; then
  apt_packages+=(kubernetes-client)
fi
command -v chattr >/dev/null 2>&1 || apt_packages+=(e2fsprogs)
command -v script >/dev/null 2>&1 || apt_packages+=(util-linux)   # a pty: MFA and shell tests
[ -x /usr/bin/time ] || apt_packages+=(time)                        # peak RSS in the load test
for tool in bash zsh fish mandoc jq curl; do
  command -v "$tool" >/dev/null 2>&1 || apt_packages+=("$tool")
done
command -v man >/dev/null 2>&1 || apt_packages+=(man-db)           # the docs' `man` commands
# HTTPS downloads (pip, npm, install-pinned-tools.py) need the CA bundle; debootstrap has none.
if [ "$(uname -s)" = Linux ] && [ ! -s /etc/ssl/certs/ca-certificates.crt ]; then
  apt_packages+=(ca-certificates)
fi
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$have_apt" = no ] && [ "$(uname -s)" = Darwin ]; then
    # Homebrew's names; chattr, script -c and GNU time have no macOS equivalent.
    brew=()
    for p in "${apt_packages[@]}"; do
      case $p in
        kubernetes-client) brew+=(kubernetes-cli) ;;
        e2fsprogs|util-linux|time) ;;
        *) brew+=("$p") ;;
      esac
    done
    [ ${#brew[@]} -gt 0 ] && apt_install "${brew[@]}" || true
  else
    apt_install "${apt_packages[@]}" || true
  fi
fi

# --- Python ----------------------------------------------------------------------------------
python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  log "python3 is missing"
  apt_install python3 python3-venv || true
fi
if ! command -v "$python" >/dev/null 2>&1; then
  log "no python3: the tests that need moto, botocore or the fake servers will be skipped"
  exit 0
fi

if py_ready "$python"; then
  exit 0   # this python3 has everything (pyenv, CI): nothing to do
fi
if [ -x "$VENV/bin/python" ] && py_ready "$VENV/bin/python"; then
  exit 0
fi
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV (a venv for the Python test dependencies)"
  if ! "$python" -m venv "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    # Debian ships venv's ensurepip separately.
    if apt_install python3-venv && "$python" -m venv "$VENV" >/dev/null 2>&1; then
      :
    else
      rm -rf "$VENV"
      log "cannot create a venv with $python; install python3-venv (Debian) and run again"
      exit 0
    fi
  fi
fi
log "pip install ${PY_PACKAGES[*]} (into $VENV)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
