# Sourced (not run) by scripts/provision-tools.sh and scripts/with-node.sh: which Node the project runs on.
# The one on PATH when it satisfies package.json's engines.node; otherwise the one provision-tools.sh
# installs from the npm registry's `node` package into the git-ignored .tools/node.
# Expects ROOT (the checkout) to be set.

# Where `npm install --prefix .tools/node node@X` links the binary (node_modules/.bin/node -> ../node/bin/node).
NODE_BIN_DIR="$ROOT/.tools/node/node_modules/.bin"

# The minimum from engines.node, which must read ">=X.Y[.Z]": one source of truth for the version floor.
node_min() {
  local min
  min="$(sed -n '/"engines"/,/}/s/^ *"node": *">= *\([0-9][0-9.]*\)".*/\1/p' "$ROOT/package.json" | head -n 1)"
  [ -n "$min" ] || {
    printf '[node] ERROR: package.json engines.node is not of the form ">=X.Y[.Z]"\n' >&2
    return 1
  }
  printf '%s\n' "$min"
}

# version_ge A B: dotted version A (a leading "v" is ignored) is at least B; missing parts count as 0.
version_ge() {
  local -a a b
  IFS=. read -ra a <<<"${1#v}"
  IFS=. read -ra b <<<"${2#v}"
  local i
  for i in 0 1 2; do
    local x="${a[i]:-0}" y="${b[i]:-0}"
    # Pre-release tails (24.0.0-rc.1) compare by their number only.
    x="${x%%[!0-9]*}" y="${y%%[!0-9]*}"
    x="${x:-0}" y="${y:-0}"
    [ "$x" -gt "$y" ] && return 0
    [ "$x" -lt "$y" ] && return 1
  done
  return 0
}

# node_satisfies BIN: BIN runs and its version is at least engines.node's minimum.
node_satisfies() {
  local v min
  v="$("$1" -v 2>/dev/null)" || return 1
  min="$(node_min)" || return 1
  version_ge "$v" "$min"
}

# system_node_ok: the `node` on PATH (whatever it is) satisfies engines.node.
system_node_ok() {
  local n
  n="$(command -v node 2>/dev/null)" && node_satisfies "$n"
}
