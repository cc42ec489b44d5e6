#!/usr/bin/env bash
# `npm run up`: the whole pipeline on this machine, from ordinary packages, no Docker. Idempotent: a second run
# only restarts what died. State in .likepipe/ (or $LIKEPIPE_STATE), tools cached in ~/.cache/likepipe.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$LIKEPIPE_ROOT"
S="$LIKEPIPE_ROOT/scripts/stack"
started=$SECONDS

apt_install curl ca-certificates

# Installs first. Debian packages one after another (apt holds a lock); then the Kafka jars (Maven) in the
# background while npm installs and builds. Each step is a no-op once done.
bash "$S/redis.sh" install
bash "$S/prometheus.sh" install
command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
command -v mvn >/dev/null 2>&1 || apt_install maven
bash "$S/kafka.sh" install >"$LOG_DIR/install-kafka.log" 2>&1 &
kafka_install=$!
bash "$LIKEPIPE_ROOT/scripts/bootstrap.sh"
wait "$kafka_install" || { tail -n 30 "$LOG_DIR/install-kafka.log" >&2; die "Kafka install failed"; }

bash "$S/redis.sh" start
bash "$S/postgres.sh" start
bash "$S/kafka.sh" start
bash "$S/kafka.sh" create-topic "$KAFKA_TOPIC" "$KAFKA_PARTITIONS"

# The JWT secret is made once per state dir and only ever stored with mode 600.
mkdir -p "$LIKEPIPE_STATE/secrets"
chmod 700 "$LIKEPIPE_STATE/secrets"
if [[ ! -s "$LIKEPIPE_STATE/secrets/jwt-secret" ]]; then
  (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n/+=' >"$LIKEPIPE_STATE/secrets/jwt-secret")
fi

redis_nodes=""
for p in $REDIS_PORTS; do redis_nodes+="${redis_nodes:+,}127.0.0.1:$p"; done
(
  umask 077
  cat >"$ENV_FILE" <<ENV
# Written by npm run up; read by scripts/run-node.sh, the tests and the benchmark. Contains secrets (mode 600).
LIKEPIPE_API_URL=http://127.0.0.1:$API_PORT
DATABASE_URL=$(bash "$S/postgres.sh" url)
REDIS_CLUSTER_NODES=$redis_nodes
KAFKA_BROKERS=$KAFKA_BOOTSTRAP_SERVERS
LIKEPIPE_JWT_SECRET=$(cat "$LIKEPIPE_STATE/secrets/jwt-secret")
LIKEPIPE_PROMETHEUS_URL=$(bash "$S/prometheus.sh" url)
LIKEPIPE_PROMTOOL=$(bash "$S/prometheus.sh" promtool-path)
ENV
)

bash "$LIKEPIPE_ROOT/scripts/run-node.sh" node apps/pipeline/dist/main.js migrate >>"$LOG_DIR/migrate.log" 2>&1 ||
  { tail -n 30 "$LOG_DIR/migrate.log" >&2; die "migrations failed"; }

# The workers, then the API; role names and the workers' metrics ports come from the contract
# (scripts/lib/contract.sh, through common.sh).
workers=""
for role in $LOCAL_WORKER_ROLES; do
  bash "$S/app.sh" start "$role" "$role"
  workers+=$(printf '\n  %-13s http://127.0.0.1:%s/metrics' "$role" "$(role_metrics_port "$role")")
done
bash "$S/app.sh" start like-api like-api
# Last, so its first scrape finds every role up.
bash "$S/prometheus.sh" start

cat >&2 <<MSG
[likepipe] up in $((SECONDS - started))s
  like-API      http://127.0.0.1:$API_PORT   (/healthz /readyz /metrics, API under /api)${workers}
  Redis Cluster $redis_nodes
  Kafka         $KAFKA_BOOTSTRAP_SERVERS (topic $KAFKA_TOPIC, $KAFKA_PARTITIONS partitions or more, $KAFKA_BROKER_COUNT replicas)
  Postgres      127.0.0.1:$PG_PORT (URL in $ENV_FILE)
  Prometheus    $(bash "$S/prometheus.sh" url)   (scrapes every role; config $LIKEPIPE_STATE/prometheus/prometheus.yml)
  env file      $ENV_FILE    logs $LOG_DIR/
  try:          TOKEN=\$(npm run -s token -- alice) && curl -s -XPOST -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:$API_PORT/api/posts
MSG
