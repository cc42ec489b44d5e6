# shellcheck shell=bash
# Source this (bash): `source scripts/lib/use-node.sh`. Afterwards node/npm/npx on PATH are the
# pinned Node 24 from the tool cache (installed on first use). Silent once installed.
#
# Deliberately does NOT source common.sh: that turns on `set -euo pipefail`, which would leak into
# an interactive shell or a CI step that sources this. The install runs in a child bash instead.
# Returns non-zero (never exits the caller's shell) if the install fails.
_likepipe_node_bin=$(bash "$(dirname "${BASH_SOURCE[0]}")/../stack/node.sh" path) || {
  echo "[likepipe] error: could not set up Node 24 (see above)" >&2
  unset _likepipe_node_bin
  return 1 2>/dev/null || exit 1
}
# Prepend once; sourcing twice must not keep growing PATH.
case ":$PATH:" in
  ":$_likepipe_node_bin:"*) ;;
  *) PATH="$_likepipe_node_bin:$PATH" ;;
esac
# Same reason as in the npm wrapper: ~/.npmrc's nodedir=/usr points node-gyp at the host's older
# node headers; set it here too so a bare `node-gyp` or `npx` run outside the wrappers also agrees.
npm_config_nodedir="$(dirname "$_likepipe_node_bin")"
export PATH npm_config_nodedir
hash -r 2>/dev/null || true
unset _likepipe_node_bin
