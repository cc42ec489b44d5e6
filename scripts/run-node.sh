#!/usr/bin/env bash
# Runs a command with the project's Node 24 on PATH and .likepipe/local.env (if present) in the environment:
# `bash scripts/run-node.sh node apps/pipeline/dist/cli/token.js alice`.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$LIKEPIPE_ROOT/scripts/lib/use-node.sh"
cd "$LIKEPIPE_ROOT"
if [[ -f "$ENV_FILE" ]]; then
  set -a
  # shellcheck disable=SC1090
  source "$ENV_FILE"
  set +a
fi
exec "$@"
