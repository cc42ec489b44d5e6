# shellcheck shell=bash
# Source, then `private_stack NAME OFFSET`: points every stack script at .likepipe/NAME and at ports shifted by
# OFFSET from the defaults (Redis 7001-7006, Kafka 9092/9093, Postgres 5433, Prometheus 9090, and from
# scripts/lib/contract.sh the like-API's port and every worker role's metrics port), so the tests and the
# benchmark never touch a stack started with `npm run up`, nor each other. It sets no shell options, so an
# interactive shell may source it.
# shellcheck source=contract.sh
source "$(dirname "${BASH_SOURCE[0]}")/contract.sh"

private_stack() {
  local name=$1 off=$2 root p ports="" var
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  for p in 7001 7002 7003 7004 7005 7006; do ports+="${ports:+ }$((p + off))"; done
  export LIKEPIPE_STATE="$root/.likepipe/$name"
  export LIKEPIPE_REDIS_PORTS="$ports"
  export LIKEPIPE_KAFKA_PORT=$((9092 + off)) LIKEPIPE_KAFKA_CONTROLLER_PORT=$((9093 + off))
  export LIKEPIPE_PG_PORT=$((5433 + off)) LIKEPIPE_API_PORT=$((LIKEPIPE_CONTRACT_API_PORT + off))
  export LIKEPIPE_PROMETHEUS_PORT=$((9090 + off))
  # Every worker role's LIKEPIPE_<ROLE>_METRICS_PORT (scripts/lib/common.sh: role_metrics_port), the keeper's
  # too although `up` does not run one, so that one started by hand stays apart as well.
  for var in "${!LIKEPIPE_CONTRACT_METRICS_PORT_@}"; do
    export "LIKEPIPE_${var#LIKEPIPE_CONTRACT_METRICS_PORT_}_METRICS_PORT=$((${!var} + off))"
  done
  # The Kubernetes control plane (scripts/k8s/control-plane.sh), for the operator tests.
  export LIKEPIPE_K8S_ETCD_CLIENT_PORT=$((2479 + off)) LIKEPIPE_K8S_ETCD_PEER_PORT=$((2480 + off))
  export LIKEPIPE_K8S_APISERVER_PORT=$((6543 + off)) LIKEPIPE_K8S_CONTROLLER_MANAGER_PORT=$((10557 + off))
  export LIKEPIPE_K8S_SCHEDULER_PORT=$((10559 + off)) LIKEPIPE_K8S_KWOK_PORT=$((10547 + off))
  # The real node (scripts/k8s/node.sh) needs no ports here: its kubelet, kube-proxy and containerd listen only
  # inside a network namespace named after the state dir, and it reaches the API server over a unix socket.
}
