#!/usr/bin/env bash
# Local PostgreSQL (Debian's packaged server binaries, our own data dir) on 127.0.0.1:$PG_PORT.
#   postgres.sh start        idempotent: initdb once, (re)write config, start, ensure role/db/extension
#   postgres.sh stop         fast shutdown (rolls back open transactions, checkpoints), waits
#   postgres.sh status       exit 0 when running and accepting TCP connections
#   postgres.sh url          print DATABASE_URL for the app role (password from the secrets file)
#   postgres.sh psql [ARGS]  psql as superuser `postgres` over the unix socket, db likepipe by default
# Postgres is the source of truth for likes, so durability settings stay at their safe defaults.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

PG_DATA="$DATA_DIR/postgres"
PG_LOG="$LOG_DIR/postgres.log"
PG_SECRET="$LIKEPIPE_STATE/secrets/pg-password"
PG_SUPERUSER=postgres  # bootstrap superuser; the app role `likepipe` is deliberately not one
APP_ROLE=likepipe
APP_DB=likepipe
PG_OS_USER=likepipe    # unprivileged OS account that owns the cluster when we run as root

# A unix socket path must fit in sun_path (107 bytes). Deep checkouts would overflow it, so fall
# back to a short, per-checkout directory under /tmp.
PG_SOCK_DIR="$LIKEPIPE_STATE/pg-socket"
if ((${#PG_SOCK_DIR} + ${#PG_PORT} + 10 > 100)); then
  PG_SOCK_DIR="/tmp/likepipe-pg-$(printf '%s' "$LIKEPIPE_STATE" | cksum | cut -d' ' -f1)"
fi

is_root() { [[ $(id -u) -eq 0 ]]; }

# as_pg CMD...: run as the cluster's OS owner. initdb and postgres refuse to run as root.
# From / because the caller's cwd (e.g. /root) may be unreadable for that user, and pg_ctl
# and initdb complain or fail when they cannot resolve it. All our paths are absolute.
as_pg() {
  if is_root; then (cd / && runuser -u "$PG_OS_USER" -- "$@"); else "$@"; fi
}

find_pg_bin() {
  # An existing cluster must keep using the major version that created it.
  if [[ -f "$PG_DATA/PG_VERSION" ]]; then
    local v; v=$(cat "$PG_DATA/PG_VERSION")
    [[ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]] && { printf '%s' "/usr/lib/postgresql/$v/bin"; return 0; }
    log "warning: $PG_DATA was created by PostgreSQL $v, whose binaries are gone; newer ones cannot open it (pg_upgrade or delete the dir)"
  fi
  local d best=""
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/pg_ctl" && -x "$d/initdb" && -x "$d/postgres" ]] || continue
    # Newest major version wins (the glob sorts 10 before 9, hence sort -V).
    best=$(printf '%s\n%s\n' "$best" "$d" | sed '/^$/d' | sort -V | tail -n1)
  done
  printf '%s' "$best"
}

ensure_pg_installed() {
  PG_BIN=$(find_pg_bin)
  if [[ -z "$PG_BIN" ]]; then
    apt_install postgresql postgresql-contrib
    PG_BIN=$(find_pg_bin)
    [[ -n "$PG_BIN" ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin even after apt-get install postgresql"
    disable_system_postgres
  fi
  PG_MAJOR=$(basename "$(dirname "$PG_BIN")")
  if [[ ! -f "/usr/share/postgresql/$PG_MAJOR/extension/pg_stat_statements.control" ]]; then
    apt_install postgresql-contrib
    [[ -f "/usr/share/postgresql/$PG_MAJOR/extension/pg_stat_statements.control" ]] \
      || die "pg_stat_statements is not available for PostgreSQL $PG_MAJOR (install postgresql-contrib)"
  fi
}

# Installing Debian's `postgresql` creates and starts a system cluster on 5432. We run our own on
# $PG_PORT; leaving the system one running would only waste memory and confuse debugging.
disable_system_postgres() {
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now postgresql >/dev/null 2>&1 || true
  elif [[ -x /etc/init.d/postgresql ]]; then
    service postgresql stop >/dev/null 2>&1 || true
    update-rc.d postgresql disable >/dev/null 2>&1 || true
  fi
}

ensure_os_user() {
  is_root || { PG_OS_USER=$(id -un); return 0; }
  id -u "$PG_OS_USER" >/dev/null 2>&1 && return 0
  log "creating system user $PG_OS_USER (postgres refuses to run as root)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin --comment "LikePipe local postgres" "$PG_OS_USER" \
    || die "useradd $PG_OS_USER failed"
}

# Directories the server process writes to must belong to it; everything above them only needs
# to be traversable (x) by that user, which we check rather than silently chmod someone's home.
prepare_dirs() {
  mkdir -p "$PG_DATA" "$PG_SOCK_DIR" "$(dirname "$PG_SECRET")"
  chmod 700 "$PG_DATA" "$(dirname "$PG_SECRET")"
  # 0700 socket dir: the socket uses `trust` auth (see pg_hba below), so the directory
  # permission is what limits local superuser access to this OS user (and root).
  chmod 700 "$PG_SOCK_DIR"
  touch "$PG_LOG"
  if is_root; then
    [[ "$(stat -c %U "$PG_DATA")" == "$PG_OS_USER" ]] || chown -R "$PG_OS_USER:" "$PG_DATA"
    chown "$PG_OS_USER:" "$PG_SOCK_DIR" "$PG_LOG"
    local d
    for d in "$PG_DATA" "$PG_SOCK_DIR" "$PG_LOG"; do
      runuser -u "$PG_OS_USER" -- test -w "$d" \
        || die "user $PG_OS_USER cannot reach $d: a parent directory is not traversable (chmod o+x it, or set LIKEPIPE_STATE to a path under e.g. /srv or /tmp)"
    done
  fi
}

pg_initialized() { [[ -f "$PG_DATA/PG_VERSION" ]]; }

init_cluster() {
  pg_initialized && return 0
  # initdb wants an empty directory; a leftover from an interrupted run is useless anyway.
  if [[ -n "$(ls -A "$PG_DATA" 2>/dev/null)" ]]; then
    die "$PG_DATA is not empty but has no PG_VERSION (interrupted initdb?); remove it and retry"
  fi
  local locale=C
  locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' && locale=C.UTF-8
  log "initdb $PG_DATA (PostgreSQL $PG_MAJOR, superuser $PG_SUPERUSER, locale $locale)"
  # C collation: byte order, identical on every machine, no glibc-upgrade index corruption.
  # Checksums: cheap, and they turn silent disk corruption into a loud error.
  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_SUPERUSER" --encoding=UTF8 --locale="$locale" \
    --data-checksums --auth-local=trust --auth-host=scram-sha-256 >>"$PG_LOG" 2>&1 \
    || { tail -n 20 "$PG_LOG" >&2; die "initdb failed (log: $PG_LOG)"; }
  echo "include = 'likepipe.conf'  # settings managed by scripts/stack/postgres.sh" >>"$PG_DATA/postgresql.conf"
}

write_config() {
  # Rewritten on every start so changes here (or a different LIKEPIPE_PG_PORT) take effect.
  # postgresql.auto.conf (ALTER SYSTEM) is read later and still wins, for ad-hoc experiments.
  as_pg tee "$PG_DATA/likepipe.conf" >/dev/null <<EOF
# Generated by scripts/stack/postgres.sh; edits are overwritten on the next start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK_DIR'
max_connections = 200
password_encryption = scram-sha-256

shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all

# Likes are only durable once they are in Postgres; never trade that for speed here.
fsync = on
synchronous_commit = on
full_page_writes = on

# Same clock everywhere (dev laptops, CI) so timestamps in logs and test output line up.
timezone = 'UTC'
log_timezone = 'UTC'
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
EOF
  # Socket: trust, fenced by the 0700 socket directory. TCP: password only, loopback only.
  as_pg tee "$PG_DATA/pg_hba.conf" >/dev/null <<'EOF'
# Generated by scripts/stack/postgres.sh; edits are overwritten on the next start.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   scram-sha-256
EOF
}

pg_running() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

record_pid() {
  local pid; pid=$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null) || return 0
  [[ -n "$pid" ]] && write_pid postgres "$pid"
}

# su_psql ARGS...: superuser session over the socket; SQL on stdin, stop at the first error.
su_psql() {
  # client_min_messages: keep idempotent re-runs quiet ("already exists, skipping" notices).
  PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" "$@"
}

ensure_password() {
  [[ -s "$PG_SECRET" ]] && return 0
  # base64 of random bytes minus +/= : URL-safe, so it can go into DATABASE_URL unescaped.
  (umask 077 && head -c 30 /dev/urandom | base64 -w0 | tr -d '+/=' >"$PG_SECRET")
  chmod 600 "$PG_SECRET"
  log "generated postgres password for role $APP_ROLE in $PG_SECRET"
}

ensure_role_and_db() {
  ensure_password
  local pw; pw=$(cat "$PG_SECRET")
  [[ "$pw" =~ ^[A-Za-z0-9]+$ ]] || die "$PG_SECRET must contain only letters and digits"
  # The password goes in via stdin (never argv). It is (re)applied on every start so a
  # regenerated secrets file heals itself; log_min_error_statement=panic keeps the statement
  # text out of the server log even if it fails.
  su_psql -d postgres >/dev/null <<SQL || die "could not create role/database (log: $PG_LOG)"
SET log_min_error_statement = panic;
SET log_statement = 'none';
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$APP_ROLE') THEN
    CREATE ROLE $APP_ROLE LOGIN;
  END IF;
END \$\$;
ALTER ROLE $APP_ROLE WITH LOGIN PASSWORD '$pw';
-- Lets the app role see every statement in pg_stat_statements, not just its own.
GRANT pg_read_all_stats TO $APP_ROLE;
SELECT 'CREATE DATABASE $APP_DB OWNER $APP_ROLE'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$APP_DB') \gexec
SQL
  su_psql -d "$APP_DB" -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' \
    || die "could not create extension pg_stat_statements (log: $PG_LOG)"
}

cmd_start() {
  ensure_pg_installed
  ensure_os_user
  prepare_dirs
  init_cluster
  if pg_running; then
    record_pid
  else
    write_config
    log "starting postgres on 127.0.0.1:$PG_PORT"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null 2>&1; then
      tail -n 20 "$PG_LOG" >&2
      die "postgres failed to start (log: $PG_LOG); is port $PG_PORT already taken?"
    fi
    record_pid
  fi
  wait_until 30 "postgres to accept TCP on 127.0.0.1:$PG_PORT" \
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
  ensure_role_and_db
  log "postgres ready on 127.0.0.1:$PG_PORT (db $APP_DB, role $APP_ROLE)"
}

cmd_stop() {
  PG_BIN=$(find_pg_bin)
  if [[ -n "$PG_BIN" ]] && pg_initialized && os_user_known && pg_running; then
    # fast: disconnect clients, roll back their transactions, checkpoint, exit. Nothing
    # committed is lost (smart would wait for idle pool connections forever).
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null \
      || die "pg_ctl stop failed (log: $PG_LOG)"
    log "postgres stopped"
  fi
  rm -f "$RUN_DIR/postgres.pid"
}

# os_user_known: resolve who owns the cluster; false when running as root and the dedicated user
# was never created (then nothing of ours can be running).
os_user_known() {
  if is_root; then id -u "$PG_OS_USER" >/dev/null 2>&1; else PG_OS_USER=$(id -un); fi
}

cmd_status() {
  PG_BIN=$(find_pg_bin)
  [[ -n "$PG_BIN" ]] || { echo "postgres: not installed"; return 1; }
  if ! pg_initialized; then echo "postgres: not initialized ($PG_DATA)"; return 1; fi
  os_user_known || { echo "postgres: stopped"; return 1; }
  if pg_running && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
    echo "postgres: running pid $(head -n1 "$PG_DATA/postmaster.pid"), accepting connections on 127.0.0.1:$PG_PORT"
  else
    echo "postgres: stopped"; return 1
  fi
}

cmd_url() {
  [[ -s "$PG_SECRET" ]] || die "no postgres password yet ($PG_SECRET); run scripts/stack/postgres.sh start first"
  printf 'postgres://%s:%s@127.0.0.1:%s/%s\n' "$APP_ROLE" "$(cat "$PG_SECRET")" "$PG_PORT" "$APP_DB"
}

cmd_psql() {
  PG_BIN=$(find_pg_bin)
  [[ -n "$PG_BIN" ]] || die "postgres is not installed"
  # Defaults via env, so any -d/-U/-c passed through still overrides them.
  PGHOST="$PG_SOCK_DIR" PGPORT="$PG_PORT" PGUSER="$PG_SUPERUSER" PGDATABASE="$APP_DB" \
    exec "$PG_BIN/psql" "$@"
}

# Running as root, the server runs as $PG_OS_USER, which must be able to traverse every directory above its
# data dir. A checkout under a private directory (a 0700 home or mktemp dir, as CI clones may be) is not, and
# chmod-ing someone's directories is not ours to do: then the cluster lives in /var/lib/likepipe/pg-<hash of
# the state dir>, and .likepipe/data/postgres and .likepipe/logs/postgres.log are symlinks to it.
use_relocated() {
  PG_DATA="$1/data"
  PG_LOG="$1/postgres.log"
  [[ "$PG_SOCK_DIR" == "$LIKEPIPE_STATE/pg-socket" ]] && PG_SOCK_DIR="$1/socket"
  return 0
}

relocate_if_unreachable() {
  is_root || return 0
  local home
  if [[ -L "$PG_DATA" ]]; then
    home=$(dirname "$(readlink "$PG_DATA")")
    use_relocated "$home"
    return 0
  fi
  [[ -e "$PG_DATA" ]] && return 0
  id -u "$PG_OS_USER" >/dev/null 2>&1 || return 0  # first start: ensure_os_user runs first, then us again
  mkdir -p "$DATA_DIR" "$LOG_DIR"
  runuser -u "$PG_OS_USER" -- test -x "$DATA_DIR" 2>/dev/null && return 0
  home="/var/lib/likepipe/pg-$(printf '%s' "$LIKEPIPE_STATE" | cksum | cut -d' ' -f1)"
  # No data dir in our state dir means a fresh state: whatever an earlier state dir of this path left is stale.
  case "$home" in /var/lib/likepipe/pg-[0-9]*) rm -rf "$home" ;; esac
  mkdir -p "$home/data"
  chmod 755 /var/lib/likepipe
  chown -R "$PG_OS_USER:" "$home"
  chmod 700 "$home"
  ln -sfn "$home/data" "$PG_DATA"
  ln -sfn "$home/postgres.log" "$LOG_DIR/postgres.log"
  use_relocated "$home"
  log "$LIKEPIPE_STATE is not traversable by user $PG_OS_USER: postgres data in $home"
}

main() {
  local cmd=${1:-}; shift || true
  [[ "$cmd" == start ]] && ensure_os_user
  relocate_if_unreachable
  case "$cmd" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    url) cmd_url ;;
    psql) cmd_psql "$@" ;;
    *) echo "usage: $0 start|stop|status|url|psql [psql args...]" >&2; exit 2 ;;
  esac
}

main "$@"
