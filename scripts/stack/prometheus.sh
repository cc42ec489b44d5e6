#!/usr/bin/env bash
# Local Prometheus on 127.0.0.1:$PROMETHEUS_PORT (default 9090): scrapes every role of the local stack with the
# contract's scrape labels (SCRAPE_LABELS in packages/contract/src/metrics.ts) and evaluates the repository's
# rules (monitoring/prometheus/*.rules.yaml), the same ones the operator's users load.
#   prometheus.sh install        unpack Debian's `prometheus` package into the tool cache (once per version)
#   prometheus.sh start          idempotent: (re)write and check the config, start or reload, wait until ready
#   prometheus.sh stop           SIGTERM (the TSDB head is written out), waits
#   prometheus.sh status         exit 0 when running and ready
#   prometheus.sh url            print its URL
#   prometheus.sh promtool-path  print the path of the promtool beside it, installing first if needed
#   prometheus.sh config         print the config `start` would write
# Environment: LIKEPIPE_PROMETHEUS_PORT, LIKEPIPE_PROMETHEUS_SCRAPE_INTERVAL (default 5s; also the rules'
# evaluation interval), LIKEPIPE_PROMETHEUS_RETENTION (default 7d), LIKEPIPE_PROMETHEUS_VERSION (a Debian version
# of the package; default apt's candidate), LIKEPIPE_API_B_PORT (a second like-API process to scrape as well).
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

SCRAPE_INTERVAL="${LIKEPIPE_PROMETHEUS_SCRAPE_INTERVAL:-5s}"
RETENTION="${LIKEPIPE_PROMETHEUS_RETENTION:-7d}"
[[ "$SCRAPE_INTERVAL" =~ ^[1-9][0-9]*(ms|s|m)$ ]] ||
  die "LIKEPIPE_PROMETHEUS_SCRAPE_INTERVAL must be a duration like 5s or 500ms, not '$SCRAPE_INTERVAL'"
PROM_CONF_DIR="$LIKEPIPE_STATE/prometheus"
PROM_CONFIG="$PROM_CONF_DIR/prometheus.yml"
PROM_DATA="$DATA_DIR/prometheus"
PROM_LOG="$LOG_DIR/prometheus.log"
PROM_URL="http://127.0.0.1:$PROMETHEUS_PORT"
RULES_GLOB="$LIKEPIPE_ROOT/monitoring/prometheus/*.rules.yaml"
START_TIMEOUT="${LIKEPIPE_PROMETHEUS_START_TIMEOUT:-60}"

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# ---------------------------------------------------------------------------------------------- install

# The Debian version to use: the pinned one, else apt's candidate. Reading apt's lists needs no network; only a
# machine that never ran apt-get update has none, and then it runs once.
deb_version() {
  if [[ -n "${LIKEPIPE_PROMETHEUS_VERSION:-}" ]]; then
    printf '%s' "$LIKEPIPE_PROMETHEUS_VERSION"
    return 0
  fi
  local v
  v=$(apt-cache policy prometheus 2>/dev/null | sed -n 's/^ *Candidate: *//p' | head -n 1)
  if [[ -z "$v" || "$v" == "(none)" ]]; then
    apt_update
    v=$(apt-cache policy prometheus 2>/dev/null | sed -n 's/^ *Candidate: *//p' | head -n 1)
  fi
  [[ -n "$v" && "$v" != "(none)" ]] || die "apt knows no 'prometheus' package (is Debian's main archive in the sources?)"
  printf '%s' "$v"
}

# set_home VERSION: where that version lives in the tool cache (an epoch's colon does not belong in a path)
set_home() {
  PROM_VERSION=$1
  PROM_HOME="$LIKEPIPE_CACHE/prometheus-${1//:/_}"
  PROM_MARKER="$PROM_HOME/.likepipe-complete"
  PROMETHEUS_BIN="$PROM_HOME/usr/bin/prometheus"
  PROMTOOL_BIN="$PROM_HOME/usr/bin/promtool"
}

# The package is unpacked, never installed: installing it would add a system user and start a system-wide
# service on 9090 (its postinst), which is not ours to run. Its dependencies are libc6 and the JavaScript
# libraries of the web UI; the HTTP API, which is all we use, needs neither (the binaries are Go).
prom_install() {
  set_home "$(deb_version)"
  [[ -f "$PROM_MARKER" ]] && return 0
  # Two `up`s racing on a fresh machine must not both unpack into the same directory.
  take_lock 8 "$LIKEPIPE_CACHE/.prometheus.lock" 600
  if [[ -f "$PROM_MARKER" ]]; then drop_lock 8; return 0; fi
  local began=$SECONDS
  log "installing Prometheus $PROM_VERSION (Debian's package, unpacked) into $PROM_HOME"
  # Built beside the final directory and renamed into place, so an interrupted install never looks done.
  local work="$PROM_HOME.partial" dl
  rm -rf "$work" "$PROM_HOME"
  mkdir -p "$work"
  dl=$(mktemp -d)
  # apt downloads as its unprivileged _apt user when it can write the directory.
  if [[ $(id -u) -eq 0 ]] && id -u _apt >/dev/null 2>&1; then chown _apt "$dl"; fi
  if ! (cd "$dl" && apt-get download -q "prometheus=$PROM_VERSION") >"$LOG_DIR/prometheus-install.log" 2>&1; then
    rm -rf "$dl"
    tail -n 20 "$LOG_DIR/prometheus-install.log" >&2
    die "apt-get download prometheus=$PROM_VERSION failed (log: $LOG_DIR/prometheus-install.log)"
  fi
  local deb
  deb=$(find "$dl" -maxdepth 1 -name 'prometheus_*.deb' | head -n 1)
  [[ -n "$deb" ]] || die "apt-get download left no prometheus_*.deb in $dl"
  dpkg-deb -x "$deb" "$work"
  dpkg-deb -f "$deb" Version Depends >"$work/DEBIAN-control"
  rm -rf "$dl"
  local bin
  for bin in prometheus promtool; do
    "$work/usr/bin/$bin" --version >/dev/null 2>&1 ||
      die "$work/usr/bin/$bin does not run here; the package depends on: $(sed -n 's/^Depends: //p' "$work/DEBIAN-control")"
  done
  mv "$work" "$PROM_HOME"
  printf 'prometheus %s, unpacked in %ss\n' "$PROM_VERSION" "$((SECONDS - began))" >"$PROM_MARKER"
  drop_lock 8
  log "Prometheus $PROM_VERSION installed in $((SECONDS - began))s"
}

# ---------------------------------------------------------------------------------------------- config

# target ROLE PORT...: one scrape job per role; `job` is the role's name, and the target labels are the
# contract's scrape labels with the values a local stack has.
target() {
  local role=$1 p; shift
  printf '  - job_name: %s\n    static_configs:\n      - targets: [' "$role"
  local sep=""
  for p in "$@"; do printf "%s'127.0.0.1:%s'" "$sep" "$p"; sep=", "; done
  printf ']\n        labels: {role: %s, namespace: local, pipeline: local}\n' "$role"
}

render_config() {
  cat <<EOF
# Generated by scripts/stack/prometheus.sh; edits are overwritten on the next start.
global:
  scrape_interval: $SCRAPE_INTERVAL
  evaluation_interval: $SCRAPE_INTERVAL
# The glob is read again on every start (a reload when running), so a new rules file needs no edit here.
rule_files:
  - '$RULES_GLOB'
scrape_configs:
EOF
  local api_ports=("$API_PORT") role
  [[ -n "${LIKEPIPE_API_B_PORT:-}" ]] && api_ports+=("$LIKEPIPE_API_B_PORT")
  target like-api "${api_ports[@]}"
  for role in $LOCAL_WORKER_ROLES; do target "$role" "$(role_metrics_port "$role")"; done
}

write_config() {
  mkdir -p "$PROM_CONF_DIR"
  render_config >"$PROM_CONFIG.tmp"
  # A bad rules file or config stops `start` here with promtool's words, not later in a log.
  if ! "$PROMTOOL_BIN" check config "$PROM_CONFIG.tmp" >"$PROM_CONF_DIR/check.out" 2>&1; then
    cat "$PROM_CONF_DIR/check.out" >&2
    die "promtool check config failed for the generated config ($PROM_CONFIG.tmp) or a rules file ($RULES_GLOB)"
  fi
  mv "$PROM_CONFIG.tmp" "$PROM_CONFIG"
}

# ---------------------------------------------------------------------------------------------- runtime

# A live pid only counts if it is our Prometheus (pids are reused after a reboot or kill -9).
prom_running() {
  pid_alive prometheus || return 1
  local args
  args=$(tr '\0' '\n' <"/proc/$(cat "$RUN_DIR/prometheus.pid")/cmdline" 2>/dev/null) || return 1
  grep -qxF -- "--config.file=$PROM_CONFIG" <<<"$args"
}

prom_ready() { http_ok "$PROM_URL/-/ready"; }

lock_runtime() { take_lock 7 "$RUN_DIR/prometheus.lock" $((START_TIMEOUT + 60)); }

prom_start() {
  lock_runtime
  prom_install
  write_config
  if prom_running; then
    # Picks up the rewritten config and the rules files as they are now; answers 500 with the reason when one
    # is bad (promtool passed it, so that would be a Prometheus that disagrees with its own promtool).
    local out
    out=$(curl -sS --max-time 30 -X POST "$PROM_URL/-/reload" 2>&1) ||
      die "reloading Prometheus failed: $out"
    [[ -z "$out" ]] || die "Prometheus refused the new config: $out"
    wait_until "$START_TIMEOUT" "Prometheus (pid $(cat "$RUN_DIR/prometheus.pid")) to be ready" prom_ready
    log "prometheus already running (pid $(cat "$RUN_DIR/prometheus.pid")) on $PROM_URL; config reloaded"
    return 0
  fi
  rm -f "$RUN_DIR/prometheus.pid"
  ports_free prometheus "$PROMETHEUS_PORT"
  mkdir -p "$PROM_DATA"
  log "starting prometheus on $PROM_URL (scrape every $SCRAPE_INTERVAL)"
  printf '\n=== %s start prometheus %s\n' "$(date -Is)" "$PROM_VERSION" >>"$PROM_LOG"
  # --web.enable-lifecycle: `start` on a running server reloads through POST /-/reload, which answers with the
  # outcome (SIGHUP would not). Loopback only, like everything here.
  spawn prometheus "$PROM_LOG" "$PROMETHEUS_BIN" \
    --config.file="$PROM_CONFIG" \
    --storage.tsdb.path="$PROM_DATA" \
    --storage.tsdb.retention.time="$RETENTION" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
    --web.external-url="$PROM_URL/" \
    --web.enable-lifecycle
  wait_started prometheus "$START_TIMEOUT" "$PROM_LOG" -- prom_ready
  log "prometheus up (pid $(cat "$RUN_DIR/prometheus.pid")) on $PROM_URL; config $PROM_CONFIG, data $PROM_DATA"
}

prom_stop() {
  lock_runtime
  if [[ -f "$RUN_DIR/prometheus.pid" ]] && ! prom_running; then
    rm -f "$RUN_DIR/prometheus.pid" # stale: never signal a pid that is not our Prometheus
  fi
  [[ -f "$RUN_DIR/prometheus.pid" ]] || return 0
  stop_pid prometheus 60
  log "prometheus stopped"
}

prom_status() {
  if prom_running && prom_ready; then
    echo "prometheus running (pid $(cat "$RUN_DIR/prometheus.pid")) on $PROM_URL"
    return 0
  fi
  echo "prometheus stopped"
  return 1
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case "$cmd" in
  install) prom_install ;;
  start) prom_start ;;
  stop) prom_stop ;;
  status) prom_status ;;
  url) echo "$PROM_URL" ;;
  promtool-path) prom_install; echo "$PROMTOOL_BIN" ;;
  config) render_config ;;
  *) usage ;;
esac
