#!/usr/bin/env bash
# Shared paths and helpers for the local-stack scripts. Source it; do not run it.
# Everything lives in two places: per-checkout state in .likepipe/ and per-machine, version-keyed
# downloads in the tool cache ($LIKEPIPE_CACHE, default ~/.cache/likepipe), so a second `up` is fast.
# shellcheck disable=SC2034  # a library: the variables are for the scripts that source it
set -euo pipefail

LIKEPIPE_ROOT="${LIKEPIPE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
LIKEPIPE_STATE="${LIKEPIPE_STATE:-$LIKEPIPE_ROOT/.likepipe}"
LIKEPIPE_CACHE="${LIKEPIPE_CACHE:-$HOME/.cache/likepipe}"
RUN_DIR="$LIKEPIPE_STATE/run"
LOG_DIR="$LIKEPIPE_STATE/logs"
DATA_DIR="$LIKEPIPE_STATE/data"
mkdir -p "$RUN_DIR" "$LOG_DIR" "$DATA_DIR" "$LIKEPIPE_CACHE"

# The contract: role names, consumer groups, the like-API's and each worker's port, the topic and shared
# defaults, generated from packages/contract by `npm run gen:contract`. The scripts take them from here and
# never type them again.
# shellcheck source=contract.sh
source "$(dirname "${BASH_SOURCE[0]}")/contract.sh"

# Ports (all on 127.0.0.1). Override through the environment to run a second stack beside the first. The data
# stores' ports are the local stack's own; the like-API's and the workers' come from the contract.
# shellcheck source=private-stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/private-stack.sh"
REDIS_PORTS="${LIKEPIPE_REDIS_PORTS:-$(redis_ports 0)}" || exit 1
KAFKA_PORT="${LIKEPIPE_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${LIKEPIPE_KAFKA_CONTROLLER_PORT:-9093}"
PG_PORT="${LIKEPIPE_PG_PORT:-5433}"
PROMETHEUS_PORT="${LIKEPIPE_PROMETHEUS_PORT:-9090}"
API_PORT="${LIKEPIPE_API_PORT:-$LIKEPIPE_CONTRACT_API_PORT}"
KAFKA_TOPIC="${LIKEPIPE_KAFKA_TOPIC:-$LIKEPIPE_CONTRACT_TOPIC}"
KAFKA_PARTITIONS="${LIKEPIPE_KAFKA_PARTITIONS:-$LIKEPIPE_CONTRACT_KAFKA_PARTITIONS}"
ENV_FILE="$LIKEPIPE_STATE/local.env"

log() { printf '[likepipe] %s\n' "$*" >&2; }
die() { printf '[likepipe] error: %s\n' "$*" >&2; exit 1; }

# Kafka brokers: 1 (the default, named `kafka`) or 3 (`kafka-1`..`kafka-3`, combined broker+controller nodes
# forming one 3-voter quorum, so one broker may die without losing an acknowledged like). Broker N keeps the
# pair of ports after broker N-1's: 9092/9093, 9094/9095, 9096/9097, so a private stack's offset moves all six.
KAFKA_BROKER_COUNT="${LIKEPIPE_KAFKA_BROKERS:-1}"
[[ "$KAFKA_BROKER_COUNT" == 1 || "$KAFKA_BROKER_COUNT" == 3 ]] ||
  die "LIKEPIPE_KAFKA_BROKERS must be 1 or 3, got '$KAFKA_BROKER_COUNT'"
# kafka_port N / kafka_controller_port N: broker N's (1-based) client and controller ports
kafka_port() { echo $((KAFKA_PORT + 2 * ($1 - 1))); }
kafka_controller_port() { echo $((KAFKA_CONTROLLER_PORT + 2 * ($1 - 1))); }
KAFKA_BOOTSTRAP_SERVERS=""
for ((_i = 1; _i <= KAFKA_BROKER_COUNT; _i++)); do
  KAFKA_BOOTSTRAP_SERVERS+="${KAFKA_BOOTSTRAP_SERVERS:+,}127.0.0.1:$(kafka_port "$_i")"
done
unset _i

# The worker roles the local stack runs beside the like-API: the contract's, except the redis-cluster-keeper,
# which only a Redis Cluster on Kubernetes needs (its nodes come back with new IPs; ours keep 127.0.0.1).
LOCAL_WORKER_ROLES=""
for _role in $LIKEPIPE_CONTRACT_WORKER_ROLES; do
  [[ $_role == redis-cluster-keeper ]] || LOCAL_WORKER_ROLES+="${LOCAL_WORKER_ROLES:+ }$_role"
done
unset _role

# is_worker_role ROLE -> 0 when ROLE serves /metrics, /healthz and /readyz on a port of its own
is_worker_role() { [[ " $LIKEPIPE_CONTRACT_WORKER_ROLES " == *" $1 "* ]]; }

# role_metrics_port ROLE: the worker's /metrics port, LIKEPIPE_<ROLE>_METRICS_PORT (e.g.
# LIKEPIPE_TRUTH_WRITER_METRICS_PORT) when set, else the contract's LIKEPIPE_CONTRACT_METRICS_PORT_<ROLE>
role_metrics_port() {
  is_worker_role "$1" || die "$1 is not a worker role (worker roles: $LIKEPIPE_CONTRACT_WORKER_ROLES)"
  local v=${1^^}
  v=${v//-/_}
  local override="LIKEPIPE_${v}_METRICS_PORT" default="LIKEPIPE_CONTRACT_METRICS_PORT_${v}"
  echo "${!override:-${!default}}"
}

# pid_alive NAME -> 0 when .likepipe/run/NAME.pid names a live process
pid_alive() {
  local f="$RUN_DIR/$1.pid"
  [[ -f "$f" ]] || return 1
  local pid; pid=$(cat "$f" 2>/dev/null) || return 1
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  # A process that exited but is not yet reaped (some init processes reap slowly) is a zombie: dead to us.
  local state
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ "$state" != "Z" ]]
}

write_pid() { echo "$2" >"$RUN_DIR/$1.pid"; }

# stop_pid NAME [TIMEOUT_S]: SIGTERM, wait, then SIGKILL; removes the pid file
stop_pid() {
  local name=$1 timeout=${2:-30} f="$RUN_DIR/$1.pid"
  [[ -f "$f" ]] || return 0
  local pid; pid=$(cat "$f")
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < timeout * 10; i++)); do
      pid_alive "$1" || break
      sleep 0.1
    done
    if pid_alive "$name"; then
      log "$name did not stop in ${timeout}s; killing"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

# wait_until TIMEOUT_S DESCRIPTION CMD...: polls CMD every 0.25 s
wait_until() {
  local timeout=$1 what=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "timed out after ${timeout}s waiting for $what"
    sleep 0.25
  done
}

# port_open PORT -> 0 when something accepts connections on 127.0.0.1:PORT
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ports_free NAME PORT...: dies when another process already listens on a port NAME is about to bind
ports_free() {
  local name=$1 p; shift
  for p in "$@"; do
    port_open "$p" && die "127.0.0.1:$p is already in use by a process that is not our $name (no live $RUN_DIR/$name.pid)"
  done
  return 0
}

# http_ok URL [BODY] -> 0 when URL answers 2xx within 2 s (and, given BODY, with exactly that body). Loopback
# only, so a self-signed certificate is accepted.
http_ok() {
  if (($# > 1)); then
    [[ "$(curl -fsk --max-time 2 "$1" 2>/dev/null)" == "$2" ]]
  else
    curl -fsk -o /dev/null --max-time 2 "$1"
  fi
}

# take_lock FD FILE TIMEOUT_S: opens FILE on descriptor FD (7, 8 or 9) and waits for an exclusive flock on it;
# held until drop_lock FD or the end of the process. The scripts use 7 for start/stop, 8 and 9 for installs.
take_lock() {
  [[ "$1" =~ ^[789]$ ]] || die "take_lock: descriptor must be 7, 8 or 9, not '$1'"
  command -v flock >/dev/null 2>&1 || apt_install util-linux
  mkdir -p "$(dirname "$2")"
  eval "exec $1>\"\$2\""
  flock -w "$3" "$1" || die "could not lock $2"
}

# drop_lock FD: releases a lock take_lock took
drop_lock() {
  [[ "$1" =~ ^[789]$ ]] || die "drop_lock: descriptor must be 7, 8 or 9, not '$1'"
  eval "exec $1>&-"
}

# spawn NAME LOG CMD...: starts CMD in a session of its own, so Ctrl-C or a `timeout` around the caller does
# not reach it; stdout and stderr are appended to LOG; its pid goes to $RUN_DIR/NAME.pid (the inner shell
# records its own pid and execs CMD, so the pid is right even when setsid has to fork). The lock descriptors
# are closed for it, so it never holds a lock for its whole life. Stop it with stop_pid NAME.
spawn() {
  local name=$1 out=$2; shift 2
  rm -f "$RUN_DIR/$name.pid"
  # shellcheck disable=SC2016  # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$RUN_DIR/$name.pid" "$@" \
    >>"$out" 2>&1 </dev/null 7>&- 8>&- 9>&- &
  wait_until 10 "$name pid file" test -s "$RUN_DIR/$name.pid"
}

# wait_started NAME TIMEOUT_S LOG... -- CHECK...: after spawn, polls CHECK every 0.25 s until it succeeds.
# Dies with the tail of each LOG when NAME's process exits first (removing its pid file), or after TIMEOUT_S.
wait_started() {
  local name=$1 timeout=$2 logs=()
  shift 2
  while (($# > 0)) && [[ "$1" != -- ]]; do logs+=("$1"); shift; done
  (($# > 1)) || die "usage: wait_started NAME TIMEOUT_S LOG... -- CHECK..."
  shift
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ! pid_alive "$name"; then
      rm -f "$RUN_DIR/$name.pid"
      tail -n 20 "${logs[@]}" >&2 2>/dev/null || true
      die "$name exited during startup; see ${logs[*]}"
    fi
    ((SECONDS < deadline)) || die "$name not ready within ${timeout}s; see ${logs[*]}"
    sleep 0.25
  done
}

# Scripts run side by side (npm test builds the node while the stack comes up) queue on this lock instead of
# failing on apt's and dpkg's locks; anyone else's apt is waited for as well.
_APT_LOCK=(flock -w 1800 "$LIKEPIPE_CACHE/.apt.lock")
_APT_WAIT=(-o DPkg::Lock::Timeout=600)

# apt_update: apt-get update, at most once per process
_APT_UPDATED=0
apt_update() {
  ((_APT_UPDATED == 0)) || return 0
  local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  log "apt-get update"
  $sudo "${_APT_LOCK[@]}" apt-get "${_APT_WAIT[@]}" update -qq >/dev/null
  _APT_UPDATED=1
}

# apt_install PKG... installs Debian packages that are missing (runs apt-get update once per process)
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  local lock=("${_APT_LOCK[@]}") wait=("${_APT_WAIT[@]}")
  apt_update
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo "${lock[@]}" apt-get "${wait[@]}" install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}
