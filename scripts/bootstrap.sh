#!/usr/bin/env bash
# Makes a fresh clone runnable: Node 24 from the tool cache, dependencies exactly as locked, a build.
# Everything else (`up`, `test`, `bench`) calls this first; it is quick when nothing changed.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$LIKEPIPE_ROOT/scripts/lib/use-node.sh"
cd "$LIKEPIPE_ROOT"

# npm ci only when the lockfile changed since the last install (it wipes node_modules, so it is not free).
stamp="node_modules/.likepipe-lock.sha"
want="$(sha256sum package-lock.json | cut -d' ' -f1) $(node -v)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  log "npm ci ($(node -v))"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi

log "tsc -b"
node_modules/.bin/tsc -b
