import client from 'prom-client';

/**
 * Every metric of every role is declared here so names and labels stay consistent for dashboards. Labels never
 * carry user or post ids: their cardinality is unbounded.
 */
export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'likepipe_process_' });

const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const sizeBuckets = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export const httpRequests = new client.Counter({
  name: 'likepipe_http_requests_total',
  help: 'HTTP requests by route template, method and status.',
  labelNames: ['route', 'method', 'status'] as const,
  registers: [registry],
});

export const httpDuration = new client.Histogram({
  name: 'likepipe_http_request_duration_seconds',
  help: 'HTTP request latency by route template, method and status.',
  labelNames: ['route', 'method', 'status'] as const,
  buckets: latencyBuckets,
  registers: [registry],
});

export const redisDuration = new client.Histogram({
  name: 'likepipe_redis_call_duration_seconds',
  help: 'Redis call latency by operation and outcome.',
  labelNames: ['op', 'outcome'] as const,
  buckets: latencyBuckets,
  registers: [registry],
});

export const kafkaProduceDuration = new client.Histogram({
  name: 'likepipe_kafka_produce_duration_seconds',
  help: 'Time to get acks=all for one producer batch.',
  labelNames: ['outcome'] as const,
  buckets: latencyBuckets,
  registers: [registry],
});

export const kafkaProduceBatchSize = new client.Histogram({
  name: 'likepipe_kafka_produce_batch_size',
  help: 'Events per producer request (micro-batching).',
  buckets: sizeBuckets,
  registers: [registry],
});

export const breakerState = new client.Gauge({
  name: 'likepipe_circuit_breaker_state',
  help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.',
  labelNames: ['breaker'] as const,
  registers: [registry],
});

export const degradedActions = new client.Counter({
  name: 'likepipe_degraded_actions_total',
  help: 'Likes and unlikes accepted with Redis bypassed, by where Redis failed.',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const likeActions = new client.Counter({
  name: 'likepipe_like_actions_total',
  help: 'Like and unlike outcomes at the API.',
  labelNames: ['action', 'outcome'] as const,
  registers: [registry],
});

export const truthFlushes = new client.Counter({
  name: 'likepipe_truth_flushes_total',
  help: 'Truth-writer flushes (one Postgres transaction each) by outcome.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const truthFlushEvents = new client.Histogram({
  name: 'likepipe_truth_flush_events',
  help: 'Events folded into one truth-writer flush.',
  buckets: sizeBuckets,
  registers: [registry],
});

export const truthFlushDuration = new client.Histogram({
  name: 'likepipe_truth_flush_duration_seconds',
  help: 'Time of one truth-writer Postgres transaction.',
  buckets: latencyBuckets,
  registers: [registry],
});

export const truthRowsChanged = new client.Counter({
  name: 'likepipe_truth_rows_changed_total',
  help: 'likes rows inserted or deleted by the truth-writer.',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const malformedEvents = new client.Counter({
  name: 'likepipe_malformed_events_total',
  help: 'Kafka records skipped because they were not valid like events.',
  labelNames: ['consumer'] as const,
  registers: [registry],
});

export const reconcileChecks = new client.Counter({
  name: 'likepipe_reconcile_checks_total',
  help: 'Posts compared between Redis and Postgres, by verdict.',
  labelNames: ['verdict'] as const,
  registers: [registry],
});

export const reconcileRepairs = new client.Counter({
  name: 'likepipe_reconcile_repairs_total',
  help: 'Posts whose Redis state the reconciler rebuilt from Postgres.',
  registers: [registry],
});

export const reconcileTickDuration = new client.Histogram({
  name: 'likepipe_reconcile_tick_duration_seconds',
  help: 'Time of one reconciler pass.',
  buckets: latencyBuckets,
  registers: [registry],
});

export const redisKeeperPasses = new client.Counter({
  name: 'likepipe_redis_keeper_passes_total',
  help: 'Redis Cluster keeper passes, by outcome (error: an action failed or the pass could not run).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const redisKeeperActions = new client.Counter({
  name: 'likepipe_redis_keeper_actions_total',
  help: 'Commands the Redis Cluster keeper ran to create or heal the cluster, by action and outcome.',
  labelNames: ['action', 'outcome'] as const,
  registers: [registry],
});

export const redisKeeperClusterOk = new client.Gauge({
  name: 'likepipe_redis_keeper_cluster_ok',
  help: '1 when every reachable node reports cluster_state:ok and reachable masters serve all 16384 slots.',
  registers: [registry],
});

export const redisKeeperReachableNodes = new client.Gauge({
  name: 'likepipe_redis_keeper_reachable_nodes',
  help: 'Redis pods the keeper reached in its last pass.',
  registers: [registry],
});

export const redisKeeperUncoveredSlots = new client.Gauge({
  name: 'likepipe_redis_keeper_uncovered_slots',
  help: 'Hash slots no reachable master serves, as of the last pass.',
  registers: [registry],
});

export const analyticsEvents = new client.Counter({
  name: 'likepipe_analytics_events_total',
  help: 'Events the analytics role read, by outcome: applied, or skipped as already applied (a redelivery).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const analyticsBatches = new client.Counter({
  name: 'likepipe_analytics_batches_total',
  help: 'Partition batches written by the analytics role (one transaction each), by outcome.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const analyticsBatchDuration = new client.Histogram({
  name: 'likepipe_analytics_batch_duration_seconds',
  help: 'Time to write one partition batch of per-minute counters.',
  buckets: latencyBuckets,
  registers: [registry],
});

export const notifierEvents = new client.Counter({
  name: 'likepipe_notifier_events_total',
  help: 'Events the notifier read, by outcome: applied, or skipped as already applied (a redelivery).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const notifierBatches = new client.Counter({
  name: 'likepipe_notifier_batches_total',
  help: 'Partition batches written by the notifier (one transaction each), by outcome.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const notificationDeliveries = new client.Counter({
  name: 'likepipe_notification_deliveries_total',
  help: 'Pushes of closed notifications to the webhook, by outcome: delivered, failed, breaker_open.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const consumerLagGauge = new client.Gauge({
  name: 'likepipe_kafka_consumer_lag',
  help: "Events on the topic that the consumer role's group has not committed yet, summed over partitions.",
  labelNames: ['group', 'topic'] as const,
  registers: [registry],
});

export const feedRankerEvents = new client.Counter({
  name: 'likepipe_feed_ranker_events_total',
  help: 'Events the feed-ranker read, by outcome: applied, or skipped as already applied (a redelivery).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const feedRankerBatches = new client.Counter({
  name: 'likepipe_feed_ranker_batches_total',
  help: 'Partition batches written by the feed-ranker (velocity buckets and affinities, one transaction each), by outcome.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const feedRefreshes = new client.Counter({
  name: 'likepipe_feed_refreshes_total',
  help: 'Candidate snapshots the feed-ranker computed and published, by outcome.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const feedRefreshDuration = new client.Histogram({
  name: 'likepipe_feed_refresh_duration_seconds',
  help: 'Time to compute the candidate set in Postgres and publish it to Redis.',
  buckets: latencyBuckets,
  registers: [registry],
});

export const feedCandidates = new client.Gauge({
  name: 'likepipe_feed_candidates',
  help: 'Posts in the last published candidate snapshot.',
  registers: [registry],
});

export const countCacheLookups = new client.Counter({
  name: 'likepipe_count_cache_lookups_total',
  help:
    'Count reads through the in-process cache, by result: hit (memory), inflight (joined a read under way), ' +
    'miss or stale (read Redis). Hit ratio = (hit + inflight) / all.',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const countCacheEntries = new client.Gauge({
  name: 'likepipe_count_cache_entries',
  help: 'Posts held in the in-process count cache.',
  registers: [registry],
});
