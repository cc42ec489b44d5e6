#!/usr/bin/env bash
# `npm run down`: stops everything `up` started, in the order that loses nothing acknowledged: the API first
# (it flushes its producer), then the consumers (they finish and commit their flush), then the stores.
# Prometheus, which holds nothing acknowledged, goes before all of them.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
S="$LIKEPIPE_ROOT/scripts/stack"
# Prometheus first: it only watches, and stopped later it would log every role's scrape failing.
bash "$S/prometheus.sh" stop
for f in "$RUN_DIR"/like-api*.pid; do
  [[ -e "$f" ]] && stop_pid "$(basename "$f" .pid)" 40
done
# Every worker role of the contract: the ones `up` starts and any a test started beside them.
for role in $LIKEPIPE_CONTRACT_WORKER_ROLES; do stop_pid "$role" 40; done
bash "$S/kafka.sh" stop
bash "$S/postgres.sh" stop
bash "$S/redis.sh" stop
log "down"
