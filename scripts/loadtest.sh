#!/usr/bin/env bash
# `npm run loadtest -- <scenario> [--short]`: one load-test scenario of loadtest/scenarios/ (hot-post, mixed,
# failover) on a private stack of its own (.likepipe/loadtest, ports +400: never the stack of `npm run up` nor
# the tests'), with 3 Kafka brokers (RF 3, min.insync.replicas 2) and a second like-API process, so that the
# failover scenario can kill a partition leader and stop an API process. Prints progress, the thresholds and
# the audit; writes the JSON summary, the HTML report and the ledger to loadtest/results/; exits non-zero when
# a threshold fails (anything acknowledged lost, among others). Targets only 127.0.0.1 and stops by itself.
#   npm run loadtest -- audit --k6-ledger FILE   audits the `npm run up` stack against a k6 run's ledger
#   LIKEPIPE_LOADTEST_OFFSET=400   port offset      LIKEPIPE_LOADTEST_NAME=loadtest   state dir name
#   LIKEPIPE_LOADTEST_KEEP=true    leave the stack running afterwards (stop it with the same variables + npm run down)
#   LIKEPIPE_KAFKA_BROKERS=3       1 runs every scenario but failover
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 1 ]] || usage
case "$1" in -h | --help) usage ;; esac

if [[ "$1" == audit ]]; then
  bash "$ROOT/scripts/bootstrap.sh" >&2
  source "$ROOT/scripts/lib/use-node.sh"
  cd "$ROOT"
  export LIKEPIPE_ENV_FILE="${LIKEPIPE_ENV_FILE:-$ROOT/.likepipe/local.env}"
  exec node loadtest/dist/cli.js "$@"
fi

source "$ROOT/scripts/lib/private-stack.sh"
private_stack "${LIKEPIPE_LOADTEST_NAME:-loadtest}" "${LIKEPIPE_LOADTEST_OFFSET:-400}"
export LIKEPIPE_KAFKA_BROKERS=${LIKEPIPE_KAFKA_BROKERS:-3}
api_b_port=$((LIKEPIPE_API_PORT + 1))

bash "$ROOT/scripts/down.sh" >/dev/null 2>&1 || true
rm -rf "$LIKEPIPE_STATE"
if [[ "${LIKEPIPE_LOADTEST_KEEP:-false}" != true ]]; then
  trap 'bash "$ROOT/scripts/down.sh" >/dev/null 2>&1 || true' EXIT
fi
bash "$ROOT/scripts/up.sh"
bash "$ROOT/scripts/stack/app.sh" start like-api-b like-api "LIKEPIPE_API_PORT=$api_b_port" LIKEPIPE_API_WORKERS=1
source "$ROOT/scripts/lib/use-node.sh"
cd "$ROOT"
export LIKEPIPE_ENV_FILE="$LIKEPIPE_STATE/local.env" LIKEPIPE_API_URL_B="http://127.0.0.1:$api_b_port"
node loadtest/dist/cli.js run "$@"
