#!/usr/bin/env bash
# Runs its arguments (`node …`, `vitest …`, `eslint …`) under the Node that package.json's engines.node
# asks for: the one on PATH when it is new enough, else the one scripts/provision-tools.sh installs into
# .tools/node (installed here on first use), put first on PATH. npm scripts go through it because a child
# script cannot change the PATH of the npm process that runs the next command; processes the command
# spawns with process.execPath, or a `#!/usr/bin/env node` bin, get the same Node.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/node-runtime.sh
. "$ROOT/scripts/node-runtime.sh"

[ "$#" -gt 0 ] || {
  echo "usage: bash scripts/with-node.sh COMMAND [ARGS...]" >&2
  exit 2
}
if ! system_node_ok; then
  if ! node_satisfies "$NODE_BIN_DIR/node"; then
    # stdout belongs to the command (e.g. `npm run cli -- key list --json`): progress goes to stderr.
    bash "$ROOT/scripts/provision-tools.sh" node >&2 ||
      { echo "[node] ERROR: could not provision Node into .tools/node (see above); install Node >=$(node_min) yourself" >&2; exit 1; }
  fi
  export PATH="$NODE_BIN_DIR:$PATH"
fi
exec "$@"
