#!/usr/bin/env bash
# Runs a command with the project's Node 24 on PATH and .likepipe/local.env (if present) in the environment:
# `bash scripts/run-node.sh node apps/pipeline/dist/cli/token.js alice`. Variables already set win over the
# file, so `LIKEPIPE_JWT_SECRET=… npm run token -- alice` signs for another pipeline (one on Kubernetes).
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$LIKEPIPE_ROOT/scripts/lib/use-node.sh"
cd "$LIKEPIPE_ROOT"
if [[ -f "$ENV_FILE" ]]; then
  while IFS='=' read -r key value; do
    [[ "$key" =~ ^[A-Z][A-Z0-9_]*$ && -z "${!key+set}" ]] && export "$key=$value"
  done <"$ENV_FILE"
fi
exec "$@"
