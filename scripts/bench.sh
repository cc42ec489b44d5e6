#!/usr/bin/env bash
# `npm run bench [-- hot-post|hot-reads|kafka-clients|hot-post-split]`: the benchmarks on a private stack of their
# own (state dir and ports apart from `npm run up` and the tests), with the naive and no-op comparison endpoints
# switched on: the hot-post write path (bench/hot-post.ts) and a viral post's reads (bench/hot-reads.ts); both by
# default. Each prints a table and leaves a copy in bench/results/. Targets only 127.0.0.1 and stops by itself.
# `kafka-clients` (never part of the default) compares three Node Kafka clients on Kafka alone, three brokers
# (bench/kafka-clients/; its install compiles librdkafka once into the tool cache).
# `hot-post-split` (never part of the default either): one viral post split over sub-slots on a Redis Cluster
# alone, of each size in BENCH_MASTERS (default "3 6 9" masters, one replica each; bench/hot-post-split.ts).
set -euo pipefail
WHICH=${1:-all}
case "$WHICH" in
  all | hot-post | hot-reads | kafka-clients | hot-post-split) ;;
  *) echo "usage: npm run bench [-- hot-post|hot-reads|kafka-clients|hot-post-split]" >&2; exit 2 ;;
esac
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/private-stack.sh"

if [ "$WHICH" = hot-post-split ]; then
  source "$ROOT/scripts/lib/use-node.sh"
  cd "$ROOT"
  node_modules/.bin/tsc -b
  for masters in ${BENCH_MASTERS:-3 6 9}; do
    export LIKEPIPE_REDIS_MASTERS=$masters
    # A state dir per size: a cluster's nodes remember their peers, so 6 nodes cannot become 18.
    private_stack "bench-split-m$masters" "${LIKEPIPE_BENCH_OFFSET:-200}"
    bash scripts/stack/redis.sh reset >/dev/null 2>&1 || true
    trap 'bash scripts/stack/redis.sh reset >/dev/null 2>&1 || true' EXIT
    bash scripts/stack/redis.sh start
    node --no-warnings bench/hot-post-split.ts
    bash scripts/stack/redis.sh reset
    trap - EXIT
  done
  exit 0
fi
# LIKEPIPE_BENCH_OFFSET: the port offset (default 200), to run a second benchmark from another checkout beside it.
private_stack bench "${LIKEPIPE_BENCH_OFFSET:-200}"

if [ "$WHICH" = kafka-clients ]; then
  # Kafka alone: the clients are measured against brokers, not against the pipeline. Three of them (RF 3, min
  # ISR 2), so a broker can be killed without losing an acknowledged event.
  export LIKEPIPE_KAFKA_BROKERS="${LIKEPIPE_KAFKA_BROKERS:-3}"
  # The comparison drives the clients through packages/core's MicroBatcher: the workspace must be built.
  bash "$ROOT/scripts/bootstrap.sh"
  bash "$ROOT/bench/kafka-clients/install.sh" >/dev/null
  bash "$ROOT/scripts/down.sh" >/dev/null 2>&1 || true
  rm -rf "$LIKEPIPE_STATE"
  trap 'bash "$ROOT/scripts/down.sh" >/dev/null 2>&1 || true' EXIT
  bash "$ROOT/scripts/stack/kafka.sh" start
  KAFKA_BROKERS=$(bash -c 'source "$1/scripts/lib/common.sh" && echo "$KAFKA_BOOTSTRAP_SERVERS"' _ "$ROOT")
  export KAFKA_BROKERS
  source "$ROOT/scripts/lib/use-node.sh"
  cd "$ROOT"
  node --no-warnings bench/kafka-clients/src/main.ts
  exit 0
fi
export LIKEPIPE_BENCH_ENDPOINTS=true
# Every bench user likes once; the per-user rate limit is not what is measured here.
export LIKEPIPE_RATE_LIMIT=100000
# LIKEPIPE_BENCH_PROFILE=true: the like-API runs with V8's CPU profiler; its top functions are printed at the end.
PROFILE_DIR="$LIKEPIPE_STATE-profiles"
if [ "${LIKEPIPE_BENCH_PROFILE:-false}" = true ]; then
  rm -rf "$PROFILE_DIR" && mkdir -p "$PROFILE_DIR"
  export LIKEPIPE_API_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=$PROFILE_DIR"
  export BENCH_PHASE_WINDOWS="$PROFILE_DIR/phases.json"
fi

bash "$ROOT/scripts/down.sh" >/dev/null 2>&1 || true
rm -rf "$LIKEPIPE_STATE"
trap 'bash "$ROOT/scripts/down.sh" >/dev/null 2>&1 || true' EXIT
bash "$ROOT/scripts/up.sh"
source "$ROOT/scripts/lib/use-node.sh"
cd "$ROOT"
export LIKEPIPE_ENV_FILE="$LIKEPIPE_STATE/local.env"
if [ "$WHICH" != hot-reads ]; then node --no-warnings bench/hot-post.ts; fi
if [ "$WHICH" != hot-post ]; then node --no-warnings bench/hot-reads.ts; fi
if [ "${LIKEPIPE_BENCH_PROFILE:-false}" = true ]; then
  # The profiles are written when the processes exit.
  bash "$ROOT/scripts/stack/app.sh" stop like-api
  out="bench/results/profile-$(date -u +%Y%m%dT%H%M%S).md"
  # The like path at saturation, then the floor (the same app and auth doing nothing) for comparison.
  for phase in '(b) like-API' '(c) no-op + auth (floor)'; do
    BENCH_REQUESTS=${BENCH_LIKES:-50000} node --no-warnings bench/profile-top.ts --window "$BENCH_PHASE_WINDOWS:$phase" "$PROFILE_DIR"/*.cpuprofile
    echo
  done | tee "$out"
fi
