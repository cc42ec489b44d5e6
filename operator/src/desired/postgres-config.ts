import type { LikePipeline } from '../api/types.js';
import { POSTGRES_PORT } from './connections.js';

/** The role the pipeline connects as (the owner of its database; not a superuser). */
export const POSTGRES_USER = 'likepipe';
/** The bootstrap superuser initdb creates: reachable only over the pod's own socket. */
export const POSTGRES_SUPERUSER = 'postgres';

/**
 * Where things are in a builtin Postgres pod. The operator owns initdb, the configuration and the command: the
 * image needs only initdb, postgres, pg_isready and pg_ctl on PATH (images/postgres/Dockerfile; the official
 * postgres images have them too), run as a UID that has a name (initdb looks it up).
 */
export const POSTGRES_PATHS = {
  /** The ConfigMap: postgresql.conf, pg_hba.conf, init.sh. */
  config: '/etc/likepipe/postgres',
  /** The generated Secret's `password` key, as a file. */
  secret: '/etc/likepipe/secret',
  /** The PersistentVolumeClaim. */
  volume: '/var/lib/postgresql/data',
  /** PGDATA: a directory inside the volume (a volume's root may hold lost+found), where the official image had it. */
  data: '/var/lib/postgresql/data/pgdata',
  /** An emptyDir: the server's Unix socket and lock file, seen by nothing outside the pod. */
  socket: '/var/run/postgresql',
} as const;

/** postgresql.conf: the whole file (initdb's is replaced), copied into the data directory by init.sh. */
export function postgresqlConf(lp: LikePipeline): string {
  return [
    `# Rendered by the LikePipeline operator for ${lp.metadata.namespace}/${lp.metadata.name}.`,
    '# init.sh copies it into the data directory before every start; edits there are overwritten.',
    "listen_addresses = '*'",
    `port = ${POSTGRES_PORT}`,
    `unix_socket_directories = '${POSTGRES_PATHS.socket}'`,
    // The hba file lives in the data directory too, where init.sh puts it.
    'max_connections = 100',
    'password_encryption = scram-sha-256',
    'shared_buffers = 128MB',
    'dynamic_shared_memory_type = posix',
    // Likes are only durable once they are in Postgres: the durability settings stay at their safe defaults.
    'fsync = on',
    'synchronous_commit = on',
    'full_page_writes = on',
    "timezone = 'UTC'",
    "log_timezone = 'UTC'",
    "datestyle = 'iso, mdy'",
    "lc_messages = 'C'",
    // Logs go to stderr, where `kubectl logs` reads them.
    'logging_collector = off',
    "log_line_prefix = '%m [%p] %q%u@%d '",
    '',
  ].join('\n');
}

/**
 * pg_hba.conf: the pipeline's role with its password (SCRAM) over TCP, to its database only; the superuser only
 * over the Unix socket, whose directory is an emptyDir of this pod (so `kubectl exec … psql` works, nothing else).
 * Anything that matches no line is refused.
 */
export function pgHbaConf(lp: LikePipeline): string {
  const db = lp.spec.postgres.database;
  return [
    '# Rendered by the LikePipeline operator; init.sh copies it into the data directory before every start.',
    '# TYPE  DATABASE  USER  ADDRESS  METHOD',
    'local   all       all            trust',
    `host    ${db}  ${POSTGRES_USER}  0.0.0.0/0  scram-sha-256`,
    `host    ${db}  ${POSTGRES_USER}  ::/0       scram-sha-256`,
    '',
  ].join('\n');
}

/**
 * The init container's command, before every start of Postgres: initdb once (into a side directory renamed into
 * place, so a pod killed half-way never leaves a data directory without the role or the database), the
 * configuration from the ConfigMap, and the pipeline role's password from the Secret's file. SQL runs in
 * single-user mode (no socket, no port) and reads the password on stdin: never argv, never the environment, never
 * the log (log_min_error_statement=panic). POSIX sh.
 */
export function postgresInitScript(lp: LikePipeline): string {
  const p = POSTGRES_PATHS;
  const db = lp.spec.postgres.database;
  return [
    '#!/bin/sh',
    `# Rendered by the LikePipeline operator for ${lp.metadata.namespace}/${lp.metadata.name}.`,
    '# Prepares the data directory; the main container then runs postgres -D on it.',
    'set -eu',
    `data=${p.data}`,
    `conf=${p.config}`,
    'single() {',
    `  postgres --single -D "$1" -c exit_on_error=on -c log_min_error_statement=panic ${POSTGRES_SUPERUSER} >/dev/null`,
    '}',
    `password=$(cat ${p.secret}/password)`,
    'case "$password" in',
    "  '' | *\"",
    '"*) echo "init.sh: the password must be one non-empty line" >&2; exit 1 ;;',
    'esac',
    // A quote in the password is doubled, so it stays inside the SQL string literal.
    "password=$(printf '%s' \"$password\" | sed \"s/'/''/g\")",
    "major=$(postgres -V | sed 's/^[^0-9]*\\([0-9][0-9]*\\).*/\\1/')",
    'if [ -s "$data/PG_VERSION" ] && [ "$(cat "$data/PG_VERSION")" != "$major" ]; then',
    '  echo "init.sh: $data was made by PostgreSQL $(cat "$data/PG_VERSION"), this image has $major: set' +
      ' spec.postgres.image to a PostgreSQL $(cat "$data/PG_VERSION") image, or pg_upgrade the data" >&2',
    '  exit 1',
    'fi',
    'if [ ! -s "$data/PG_VERSION" ]; then',
    '  # An empty directory is in the way of the rename; a non-empty one without PG_VERSION is not ours to delete.',
    '  if [ -d "$data" ]; then rmdir "$data"; fi',
    '  rm -rf "$data.init"',
    '  locale=C',
    "  if locale -a 2>/dev/null | grep -qiE '^c\\.utf-?8$'; then locale=C.UTF-8; fi",
    // C collation: byte order, the same on every machine, no index corruption when glibc changes.
    `  initdb -D "$data.init" -U ${POSTGRES_SUPERUSER} --encoding=UTF8 --locale="$locale" --data-checksums \\`,
    '    --auth-local=trust --auth-host=scram-sha-256',
    '  cp "$conf/postgresql.conf" "$conf/pg_hba.conf" "$data.init/"',
    `  printf '%s\\n' "CREATE ROLE \\"${POSTGRES_USER}\\" LOGIN PASSWORD '$password';" \\`,
    `    'CREATE DATABASE "${db}" OWNER "${POSTGRES_USER}";' | single "$data.init"`,
    '  mv "$data.init" "$data"',
    'fi',
    "# Every start: the volume's fsGroup handling may have opened the mode, which postgres refuses; the",
    '# configuration and the password are the current ones (a Secret restored from a backup heals the role).',
    'chmod 0700 "$data"',
    'cp "$conf/postgresql.conf" "$conf/pg_hba.conf" "$data/"',
    `printf '%s\\n' "ALTER ROLE \\"${POSTGRES_USER}\\" WITH LOGIN PASSWORD '$password';" | single "$data"`,
    '',
  ].join('\n');
}
