/**
 * Every metric LikePipeline exports, by name, type, help and labels: the pipeline's and the operator's
 * registries are built from these definitions, and the dashboards and alert rules import the names from here,
 * so renaming a metric breaks their build instead of silently emptying a panel. Labels never carry user or
 * post ids: their cardinality is unbounded.
 *
 * Process metrics (CPU, memory, event loop, GC) keep prom-client's conventional names, `process_*` and
 * `nodejs_*`, unprefixed, so standard Node.js dashboards and `promtool check metrics` work on them; the
 * scrape's job and pod labels tell the roles apart.
 */
export interface MetricDefinition {
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets?: readonly number[];
}

/**
 * The labels every scrape of a LikePipeline process carries besides the metric's own; the dashboards and rules
 * filter and group by them. On Kubernetes the Prometheus Operator adds `namespace`, `pod` and `instance`, and the
 * ServiceMonitor the operator makes copies `pipeline` and `role` from the pod's labels; the local stack's
 * Prometheus sets them per target (namespace and pipeline `local`).
 */
export const SCRAPE_LABELS = {
  namespace: 'namespace',
  pipeline: 'pipeline',
  role: 'role',
  instance: 'instance',
} as const;

/** Latency histograms, in seconds: 0.5 ms to 10 s. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;
/** Size histograms (events per batch or flush). */
export const SIZE_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

/** The pipeline image's metrics (every role registers all of them; each role moves its own). */
export const PIPELINE_METRICS = {
  httpRequests: {
    type: 'counter',
    name: 'likepipe_http_requests_total',
    help: 'HTTP requests by route template, method and status.',
    labelNames: ['route', 'method', 'status'],
  },
  httpDuration: {
    type: 'histogram',
    name: 'likepipe_http_request_duration_seconds',
    help: 'HTTP request latency by route template, method and status.',
    labelNames: ['route', 'method', 'status'],
    buckets: LATENCY_BUCKETS,
  },
  redisDuration: {
    type: 'histogram',
    name: 'likepipe_redis_call_duration_seconds',
    help: 'Redis call latency by operation and outcome.',
    labelNames: ['op', 'outcome'],
    buckets: LATENCY_BUCKETS,
  },
  kafkaProduceDuration: {
    type: 'histogram',
    name: 'likepipe_kafka_produce_duration_seconds',
    help: 'Time to get acks=all for one producer batch.',
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS,
  },
  kafkaProduceBatchSize: {
    type: 'histogram',
    name: 'likepipe_kafka_produce_batch_size',
    help: 'Events per producer request (micro-batching).',
    labelNames: [],
    buckets: SIZE_BUCKETS,
  },
  breakerState: {
    type: 'gauge',
    name: 'likepipe_circuit_breaker_state',
    help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.',
    labelNames: ['breaker'],
  },
  degradedActions: {
    type: 'counter',
    name: 'likepipe_degraded_actions_total',
    help: 'Likes and unlikes accepted with Redis bypassed, by where Redis failed.',
    labelNames: ['reason'],
  },
  likeActions: {
    type: 'counter',
    name: 'likepipe_like_actions_total',
    help: 'Like and unlike outcomes at the API.',
    labelNames: ['action', 'outcome'],
  },
  truthFlushes: {
    type: 'counter',
    name: 'likepipe_truth_flushes_total',
    help: 'Truth-writer flushes (one Postgres transaction each) by outcome.',
    labelNames: ['outcome'],
  },
  truthFlushEvents: {
    type: 'histogram',
    name: 'likepipe_truth_flush_events',
    help: 'Events folded into one truth-writer flush.',
    labelNames: [],
    buckets: SIZE_BUCKETS,
  },
  truthFlushDuration: {
    type: 'histogram',
    name: 'likepipe_truth_flush_duration_seconds',
    help: 'Time of one truth-writer Postgres transaction.',
    labelNames: [],
    buckets: LATENCY_BUCKETS,
  },
  truthRowsChanged: {
    type: 'counter',
    name: 'likepipe_truth_rows_changed_total',
    help: 'likes rows inserted or deleted by the truth-writer.',
    labelNames: ['kind'],
  },
  malformedEvents: {
    type: 'counter',
    name: 'likepipe_malformed_events_total',
    help: 'Kafka records skipped because they were not valid like events.',
    labelNames: ['consumer'],
  },
  reconcileChecks: {
    type: 'counter',
    name: 'likepipe_reconcile_checks_total',
    help: 'Posts compared between Redis and Postgres, by verdict.',
    labelNames: ['verdict'],
  },
  reconcileRepairs: {
    type: 'counter',
    name: 'likepipe_reconcile_repairs_total',
    help: 'Posts whose Redis state the reconciler rebuilt from Postgres.',
    labelNames: [],
  },
  reconcileTickDuration: {
    type: 'histogram',
    name: 'likepipe_reconcile_tick_duration_seconds',
    help: 'Time of one reconciler pass.',
    labelNames: [],
    buckets: LATENCY_BUCKETS,
  },
  redisKeeperPasses: {
    type: 'counter',
    name: 'likepipe_redis_keeper_passes_total',
    help: 'Redis Cluster keeper passes, by outcome (error: an action failed or the pass could not run).',
    labelNames: ['outcome'],
  },
  redisKeeperActions: {
    type: 'counter',
    name: 'likepipe_redis_keeper_actions_total',
    help: 'Commands the Redis Cluster keeper ran to create or heal the cluster, by action and outcome.',
    labelNames: ['action', 'outcome'],
  },
  redisKeeperClusterOk: {
    type: 'gauge',
    name: 'likepipe_redis_keeper_cluster_ok',
    help: '1 when every reachable node reports cluster_state:ok and reachable masters serve all 16384 slots.',
    labelNames: [],
  },
  redisKeeperReachableNodes: {
    type: 'gauge',
    name: 'likepipe_redis_keeper_reachable_nodes',
    help: 'Redis pods the keeper reached in its last pass.',
    labelNames: [],
  },
  redisKeeperUncoveredSlots: {
    type: 'gauge',
    name: 'likepipe_redis_keeper_uncovered_slots',
    help: 'Hash slots no reachable master serves, as of the last pass.',
    labelNames: [],
  },
  analyticsEvents: {
    type: 'counter',
    name: 'likepipe_analytics_events_total',
    help: 'Events the analytics role read, by outcome: applied, or skipped as already applied (a redelivery).',
    labelNames: ['outcome'],
  },
  analyticsBatches: {
    type: 'counter',
    name: 'likepipe_analytics_batches_total',
    help: 'Partition batches written by the analytics role (one transaction each), by outcome.',
    labelNames: ['outcome'],
  },
  analyticsBatchDuration: {
    type: 'histogram',
    name: 'likepipe_analytics_batch_duration_seconds',
    help: 'Time to write one partition batch of per-minute counters.',
    labelNames: [],
    buckets: LATENCY_BUCKETS,
  },
  notifierEvents: {
    type: 'counter',
    name: 'likepipe_notifier_events_total',
    help: 'Events the notifier read, by outcome: applied, or skipped as already applied (a redelivery).',
    labelNames: ['outcome'],
  },
  notifierBatches: {
    type: 'counter',
    name: 'likepipe_notifier_batches_total',
    help: 'Partition batches written by the notifier (one transaction each), by outcome.',
    labelNames: ['outcome'],
  },
  notificationDeliveries: {
    type: 'counter',
    name: 'likepipe_notification_deliveries_total',
    help: 'Pushes of closed notifications to the webhook, by outcome: delivered, failed, breaker_open.',
    labelNames: ['outcome'],
  },
  consumerRebalances: {
    type: 'counter',
    name: 'likepipe_kafka_consumer_rebalances_total',
    help: 'Times this consumer joined its group and got partitions assigned: each (re)balance pauses consumption.',
    labelNames: ['group'],
  },
  consumerStalls: {
    type: 'counter',
    name: 'likepipe_kafka_consumer_stalls_total',
    help:
      'Assigned partitions this consumer found stalled (records waiting, nothing fetched or committed for ' +
      'LIKEPIPE_CONSUMER_STALL_TIMEOUT_MS); each one restarted the consumer.',
    labelNames: ['group'],
  },
  consumerLagGauge: {
    type: 'gauge',
    name: 'likepipe_kafka_consumer_lag',
    help: "Events on the topic that the consumer role's group has not committed yet, summed over partitions.",
    labelNames: ['group', 'topic'],
  },
  feedRankerEvents: {
    type: 'counter',
    name: 'likepipe_feed_ranker_events_total',
    help: 'Events the feed-ranker read, by outcome: applied, or skipped as already applied (a redelivery).',
    labelNames: ['outcome'],
  },
  feedRankerBatches: {
    type: 'counter',
    name: 'likepipe_feed_ranker_batches_total',
    help: 'Partition batches written by the feed-ranker (velocity buckets and affinities, one transaction each), by outcome.',
    labelNames: ['outcome'],
  },
  feedRefreshes: {
    type: 'counter',
    name: 'likepipe_feed_refreshes_total',
    help: 'Candidate snapshots the feed-ranker computed and published, by outcome.',
    labelNames: ['outcome'],
  },
  feedRefreshDuration: {
    type: 'histogram',
    name: 'likepipe_feed_refresh_duration_seconds',
    help: 'Time to compute the candidate set in Postgres and publish it to Redis.',
    labelNames: [],
    buckets: LATENCY_BUCKETS,
  },
  feedCandidates: {
    type: 'gauge',
    name: 'likepipe_feed_candidates',
    help: 'Posts in the last published candidate snapshot.',
    labelNames: [],
  },
  countCacheLookups: {
    type: 'counter',
    name: 'likepipe_count_cache_lookups_total',
    help:
      'Count reads through the in-process cache, by result: hit (memory), inflight (joined a read under way), ' +
      'miss or stale (read Redis). Hit ratio = (hit + inflight) / all.',
    labelNames: ['result'],
  },
  countCacheEntries: {
    type: 'gauge',
    name: 'likepipe_count_cache_entries',
    help: 'Posts held in the in-process count cache.',
    labelNames: [],
  },
} as const satisfies Record<string, MetricDefinition>;

/** The operator's metrics. */
export const OPERATOR_METRICS = {
  reconcileTotal: {
    type: 'counter',
    name: 'likepipe_operator_reconcile_total',
    help: 'Reconciles of LikePipelines, by result (success, error, requeue: waiting on a problem the user must fix).',
    labelNames: ['result'],
  },
  reconcileErrors: {
    type: 'counter',
    name: 'likepipe_operator_reconcile_errors_total',
    help: 'Reconciles that failed and were retried with backoff.',
    labelNames: [],
  },
  reconcileDuration: {
    type: 'histogram',
    name: 'likepipe_operator_reconcile_duration_seconds',
    help: 'Time for one reconcile of one LikePipeline.',
    labelNames: [],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  },
  queueDepth: {
    type: 'gauge',
    name: 'likepipe_operator_queue_depth',
    help: 'LikePipeline keys waiting in the work queue.',
    labelNames: [],
  },
  isLeader: {
    type: 'gauge',
    name: 'likepipe_operator_leader',
    help: '1 while this replica holds the leader lease.',
    labelNames: [],
  },
  appliedObjects: {
    type: 'counter',
    name: 'likepipe_operator_applies_total',
    help: 'Server-side applies sent, by kind.',
    labelNames: ['kind'],
  },
  prunedObjects: {
    type: 'counter',
    name: 'likepipe_operator_prunes_total',
    help: 'Owned objects deleted because the spec no longer asks for them, by kind.',
    labelNames: ['kind'],
  },
} as const satisfies Record<string, MetricDefinition>;

/** Process metrics prom-client collects by default, under their conventional names (a few, for dashboards). */
/**
 * prom-client's default metrics that every registry removes: it exports these active handle/request/resource
 * counts both per type (`nodejs_active_handles{type}`, …) and summed, as gauges named `…_total`, which `promtool
 * check metrics` rejects (the suffix promises a counter). The per-type gauges carry the same numbers.
 */
export const MISNAMED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

export const PROCESS_METRICS = {
  cpuSeconds: 'process_cpu_seconds_total',
  residentMemory: 'process_resident_memory_bytes',
  heapUsed: 'nodejs_heap_size_used_bytes',
  eventLoopLagP99: 'nodejs_eventloop_lag_p99_seconds',
  gcDuration: 'nodejs_gc_duration_seconds',
} as const;
