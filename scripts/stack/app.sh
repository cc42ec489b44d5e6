#!/usr/bin/env bash
# The pipeline's own processes (roles of apps/pipeline), run from the built dist/ with Node 24.
#   app.sh start NAME ROLE [VAR=value ...]  start unless running; waits until it reports ready
#   app.sh stop NAME                         SIGTERM: drain, flush, commit; waits for exit
#   app.sh kill NAME                         SIGKILL (crash tests)
#   app.sh status NAME                       exit 0 when running
# NAME is the pid/log name: the role's name, or e.g. like-api-b for a second API. ROLE is like-api or a worker role
# of scripts/lib/contract.sh.
# The environment comes from .likepipe/local.env plus the caller's environment plus VAR=value arguments.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
source "$LIKEPIPE_ROOT/scripts/lib/use-node.sh"

MAIN="$LIKEPIPE_ROOT/apps/pipeline/dist/main.js"

# ready_url ROLE: what answers 200 once the role is ready, on the port start() exported for it. The
# reconciler's /readyz reports its last pass, so it counts as started once it is alive.
ready_url() {
  case "$1" in
    like-api) echo "http://127.0.0.1:$LIKEPIPE_API_PORT/readyz" ;;
    reconciler) echo "http://127.0.0.1:$LIKEPIPE_METRICS_PORT/healthz" ;;
    *) echo "http://127.0.0.1:$LIKEPIPE_METRICS_PORT/readyz" ;;
  esac
}

start() {
  local name=$1 role=$2; shift 2
  [[ -f "$MAIN" ]] || die "$MAIN is missing: run scripts/bootstrap.sh (npm run build) first"
  [[ -f "$ENV_FILE" ]] || die "$ENV_FILE is missing: run npm run up first"
  (
    set -a
    # shellcheck disable=SC1090
    source "$ENV_FILE"
    set +a
    # The role's port from the caller's environment, else common.sh's (the contract's default); VAR=value
    # arguments below override both.
    if [[ "$role" == like-api ]]; then
      export LIKEPIPE_API_PORT="${LIKEPIPE_API_PORT:-$API_PORT}"
      # e.g. "--cpu-prof --cpu-prof-dir=DIR" for the benchmark's profile of the API alone (its cluster workers
      # inherit it).
      if [[ -n "${LIKEPIPE_API_NODE_OPTIONS:-}" ]]; then export NODE_OPTIONS="${LIKEPIPE_API_NODE_OPTIONS}"; fi
    else
      is_worker_role "$role" || die "unknown role $role (like-api or a worker role: $LIKEPIPE_CONTRACT_WORKER_ROLES)"
      export LIKEPIPE_METRICS_PORT="${LIKEPIPE_METRICS_PORT:-$(role_metrics_port "$role")}"
    fi
    for kv in "$@"; do export "${kv?}"; done
    url=$(ready_url "$role")
    if pid_alive "$name"; then
      http_ok "$url" && exit 0
    fi
    stop_pid "$name" 30
    log "starting $name ($role)"
    spawn "$name" "$LOG_DIR/$name.log" node --enable-source-maps "$MAIN" "$role"
    wait_started "$name" "${LIKEPIPE_APP_START_TIMEOUT:-60}" "$LOG_DIR/$name.log" -- http_ok "$url"
  )
}

case "${1:-}" in
  start) shift; [[ $# -ge 2 ]] || die "usage: app.sh start NAME ROLE [VAR=value ...]"; start "$@" ;;
  stop) [[ $# -eq 2 ]] || die "usage: app.sh stop NAME"; stop_pid "$2" 40 ;;
  kill)
    [[ $# -eq 2 ]] || die "usage: app.sh kill NAME"
    if pid_alive "$2"; then kill -KILL "$(cat "$RUN_DIR/$2.pid")"; fi
    rm -f "$RUN_DIR/$2.pid"
    ;;
  status) [[ $# -eq 2 ]] || die "usage: app.sh status NAME"; pid_alive "$2" ;;
  *) sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
