# shellcheck shell=bash
# Source, then `private_stack NAME OFFSET`: points every stack script at .likepipe/NAME and at ports shifted by
# OFFSET from the defaults (Redis 7001-7006, Kafka 9092/9093, Postgres 5433, API 8080, metrics 9464-9469), so
# the tests and the benchmark never touch a stack started with `npm run up`, nor each other.
private_stack() {
  local name=$1 off=$2 root p ports=""
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  for p in 7001 7002 7003 7004 7005 7006; do ports+="${ports:+ }$((p + off))"; done
  export LIKEPIPE_STATE="$root/.likepipe/$name"
  export LIKEPIPE_REDIS_PORTS="$ports"
  export LIKEPIPE_KAFKA_PORT=$((9092 + off)) LIKEPIPE_KAFKA_CONTROLLER_PORT=$((9093 + off))
  export LIKEPIPE_PG_PORT=$((5433 + off)) LIKEPIPE_API_PORT=$((8080 + off))
  export LIKEPIPE_TRUTH_WRITER_METRICS_PORT=$((9464 + off)) LIKEPIPE_RECONCILER_METRICS_PORT=$((9465 + off))
  export LIKEPIPE_ANALYTICS_METRICS_PORT=$((9467 + off)) LIKEPIPE_NOTIFIER_METRICS_PORT=$((9468 + off))
  export LIKEPIPE_FEED_RANKER_METRICS_PORT=$((9469 + off))
  # The Kubernetes control plane (scripts/k8s/control-plane.sh), for the operator tests.
  export LIKEPIPE_K8S_ETCD_CLIENT_PORT=$((2479 + off)) LIKEPIPE_K8S_ETCD_PEER_PORT=$((2480 + off))
  export LIKEPIPE_K8S_APISERVER_PORT=$((6543 + off)) LIKEPIPE_K8S_CONTROLLER_MANAGER_PORT=$((10557 + off))
  export LIKEPIPE_K8S_SCHEDULER_PORT=$((10559 + off)) LIKEPIPE_K8S_KWOK_PORT=$((10547 + off))
}
