# shellcheck shell=bash
# Source, then `private_stack NAME OFFSET`: points every stack script at .likepipe/NAME and at ports shifted by
# OFFSET from the defaults (Redis 7001-7006, or up to 7018 with LIKEPIPE_REDIS_MASTERS=9; Kafka 9092/9093, Postgres 5433, Prometheus 9090, and from
# scripts/lib/contract.sh the like-API's port and every worker role's metrics port), so the tests and the
# benchmark never touch a stack started with `npm run up`, nor each other. It sets no shell options, so an
# interactive shell may source it.
# shellcheck source=contract.sh
source "$(dirname "${BASH_SOURCE[0]}")/contract.sh"

# redis_ports OFFSET: the Redis Cluster's ports, 7001 upwards shifted by OFFSET, two per master (each master has
# one replica). LIKEPIPE_REDIS_MASTERS (3, 6 or 9; default 3) sets how many masters: 6, 12 or 18 nodes.
redis_ports() {
  local off=${1:-0} masters=${LIKEPIPE_REDIS_MASTERS:-3} i ports=""
  case "$masters" in 3 | 6 | 9) ;; *)
    printf '[likepipe] error: LIKEPIPE_REDIS_MASTERS must be 3, 6 or 9 (got %s)\n' "$masters" >&2
    return 1
    ;;
  esac
  for ((i = 1; i <= 2 * masters; i++)); do ports+="${ports:+ }$((7000 + i + off))"; done
  echo "$ports"
}

private_stack() {
  local name=$1 off=$2 root ports="" var
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  ports=$(redis_ports "$off") || return 1
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
