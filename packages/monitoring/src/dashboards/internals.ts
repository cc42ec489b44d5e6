import { PIPELINE_METRICS as M } from '@likepipe/contract';
import { count, dashboard, mean, quantile, roleIs, sel, stat, sum, sumRate, timeseries } from './helpers.js';

/**
 * Pipeline internals: where the time and the work go inside each role, for the engineer who knows the overview
 * is red and needs the stage that causes it. (There is no consumer-rebalance metric in the contract, so there is
 * no rebalance panel; a rebalance shows here as a lag step and a pause in flushes.)
 */
export const INTERNALS_UID = 'likepipe-internals';

const p50p99 = (h: Parameters<typeof quantile>[1], extra?: string, by = '') =>
  [0.5, 0.99].map((q) => ({
    expr: quantile(q, h, extra, by),
    legend: `p${q * 100}${
      by
        ? ` ${by
            .split(', ')
            .map((l) => `{{${l}}}`)
            .join(' ')}`
        : ''
    }`,
  }));

const api = {
  row: 'like-API: Kafka producer, Redis, count cache',
  panels: [
    timeseries({
      title: 'Kafka produce latency (acks=all)',
      description:
        'Time to get acks=all for one producer batch, p50 and p99. Every like waits for this before it is ' +
        'answered. Bad: p99 above 100 ms (a slow or overloaded broker, under-replicated partitions) or rising ' +
        'with the like rate.',
      unit: 's',
      w: 8,
      warn: 0.1,
      bad: 0.5,
      queries: p50p99(M.kafkaProduceDuration),
    }),
    timeseries({
      title: 'Producer micro-batch size',
      description:
        'Events per producer request, mean and p99. Larger batches mean fewer broker round trips per like. ' +
        'Bad: stuck at 1 under heavy traffic (batching is not engaging), or at the cap for long (the producer ' +
        'is the bottleneck).',
      unit: 'short',
      w: 8,
      min: 0,
      queries: [
        { expr: mean(M.kafkaProduceBatchSize), legend: 'mean' },
        { expr: quantile(0.99, M.kafkaProduceBatchSize), legend: 'p99' },
      ],
    }),
    timeseries({
      title: 'Kafka produce failures',
      description:
        'Producer batches per second by outcome. Bad: any outcome other than ok: those likes were undone in ' +
        'Redis and answered 503.',
      unit: 'ops',
      w: 8,
      min: 0,
      queries: [{ expr: sumRate(sel(count(M.kafkaProduceDuration)), 'outcome'), legend: '{{outcome}}' }],
    }),
    timeseries({
      title: 'Redis call latency p99 by operation',
      description:
        'p99 latency of each Redis operation the API and workers run. Bad: above 10 ms for a single-key ' +
        'operation (a hot slot, a busy or failing-over shard, the network), or timeouts showing as errors in ' +
        'the panel beside it.',
      unit: 's',
      w: 12,
      warn: 0.01,
      bad: 0.05,
      queries: [{ expr: quantile(0.99, M.redisDuration, undefined, 'op'), legend: '{{op}}' }],
    }),
    timeseries({
      title: 'Redis calls by operation and outcome',
      description:
        'Redis calls per second by operation and outcome. Bad: error outcomes above 0: the like path degrades ' +
        '(202) and reads fall back to Postgres.',
      unit: 'ops',
      w: 12,
      min: 0,
      queries: [{ expr: sumRate(sel(count(M.redisDuration)), 'op, outcome'), legend: '{{op}} {{outcome}}' }],
    }),
    timeseries({
      title: 'Count cache hit ratio',
      description:
        "Share of count reads served by the like-API's in-process cache (hit, or joined a read in flight). Bad: " +
        'falling while a post is hot: every reader then costs a Redis read (check LIKEPIPE_COUNT_CACHE_* and ' +
        'the entries panel).',
      unit: 'percentunit',
      w: 12,
      min: 0,
      max: 1,
      queries: [
        {
          expr: `${sumRate(sel(M.countCacheLookups.name, 'result=~"hit|inflight"'))}\n/\n${sumRate(sel(M.countCacheLookups.name))}`,
          legend: 'hit ratio',
        },
      ],
    }),
    timeseries({
      title: 'Count cache entries',
      description:
        'Posts held in each like-API process\u2019s count cache. Bad: pinned at the configured maximum while ' +
        'the hit ratio falls (the cache is too small for the working set).',
      unit: 'short',
      w: 12,
      min: 0,
      queries: [{ expr: sel(M.countCacheEntries.name, roleIs('like-api')), legend: '{{instance}}' }],
    }),
  ],
};

const truth = {
  row: 'truth-writer: flushes into Postgres',
  panels: [
    timeseries({
      title: 'Flush size (events per flush)',
      description:
        'Events folded into one truth-writer flush (one Postgres transaction), mean and p99. Bad: near the ' +
        'batch size cap for long (the writer cannot keep up; lag grows), or tiny at high traffic (too many ' +
        'transactions).',
      unit: 'short',
      w: 8,
      min: 0,
      queries: [
        { expr: mean(M.truthFlushEvents), legend: 'mean' },
        { expr: quantile(0.99, M.truthFlushEvents), legend: 'p99' },
      ],
    }),
    timeseries({
      title: 'Flush duration',
      description:
        'Time of one truth-writer Postgres transaction, p50 and p99. Bad: p99 approaching the flush interval ' +
        '(flushes queue up and lag grows) or seconds (locks, a slow disk, a failover).',
      unit: 's',
      w: 8,
      warn: 0.5,
      bad: 2,
      queries: p50p99(M.truthFlushDuration),
    }),
    timeseries({
      title: 'Postgres transactions per 1,000 events',
      description:
        'Truth-writer flushes per 1,000 likes and unlikes written: how well batching protects Postgres. Bad: ' +
        'rising towards 1,000 (one transaction per like: batching lost, e.g. a tiny flush interval or a trickle ' +
        'of traffic spread over many replicas).',
      unit: 'short',
      w: 8,
      min: 0,
      queries: [
        {
          expr: `1000 * ${sumRate(sel(M.truthFlushes.name))}\n/\n${sumRate(sel(sum(M.truthFlushEvents)))}`,
          legend: 'transactions per 1,000 events',
        },
      ],
    }),
    timeseries({
      title: 'Flushes by outcome',
      description:
        'Truth-writer flushes per second by outcome. Bad: any error outcome: the batch is retried and the ' +
        'likes wait (see the lag on the overview).',
      unit: 'ops',
      w: 12,
      min: 0,
      queries: [{ expr: sumRate(sel(M.truthFlushes.name), 'outcome'), legend: '{{outcome}}' }],
    }),
    timeseries({
      title: 'likes rows changed',
      description:
        'Rows of the likes table inserted or deleted per second. Much lower than the like rate means many ' +
        'repeated likes or a like and unlike folding in one flush; normal. Bad: 0 while events flow in (the ' +
        'writer applies nothing).',
      unit: 'ops',
      w: 12,
      min: 0,
      queries: [{ expr: sumRate(sel(M.truthRowsChanged.name), 'kind'), legend: '{{kind}}' }],
    }),
  ],
};

const reconciler = {
  row: 'reconciler: Redis against Postgres',
  panels: [
    timeseries({
      title: 'Reconciler checks by verdict',
      description:
        'Posts compared between Redis and Postgres per second, by verdict. Bad: mismatches that persist pass ' +
        'after pass (something writes Redis wrongly), or checks dropping to 0 (the reconciler is down).',
      unit: 'ops',
      w: 8,
      min: 0,
      queries: [{ expr: sumRate(sel(M.reconcileChecks.name), 'verdict'), legend: '{{verdict}}' }],
    }),
    timeseries({
      title: 'Reconciler repairs',
      description:
        'Posts whose Redis state was rebuilt from Postgres, per second. Expected after degraded periods. Bad: ' +
        'steady repairs with no degraded likes (Redis and Postgres drift on their own: lost writes, evictions).',
      unit: 'ops',
      w: 8,
      min: 0,
      queries: [{ expr: sumRate(sel(M.reconcileRepairs.name)), legend: 'repairs' }],
    }),
    timeseries({
      title: 'Reconciler pass duration',
      description:
        'Time of one reconciler pass, p50 and p99. Bad: approaching the reconcile interval (passes run back to ' +
        'back and the sweep falls behind).',
      unit: 's',
      w: 8,
      queries: p50p99(M.reconcileTickDuration),
    }),
  ],
};

const consumers = {
  row: 'Analytics, notifier, feed-ranker',
  panels: [
    timeseries({
      title: 'Analytics batches by outcome',
      description:
        'Partition batches the analytics role wrote per second, by outcome. Bad: error outcomes (stats stop ' +
        'moving; the batch is retried).',
      unit: 'ops',
      w: 8,
      min: 0,
      queries: [{ expr: sumRate(sel(M.analyticsBatches.name), 'outcome'), legend: '{{outcome}}' }],
    }),
    timeseries({
      title: 'Analytics batch duration',
      description: 'Time to write one partition batch of per-minute counters, p50 and p99. Bad: seconds.',
      unit: 's',
      w: 8,
      queries: p50p99(M.analyticsBatchDuration),
    }),
    timeseries({
      title: 'Consumer events by role and outcome',
      description:
        'Events the analytics, notifier and feed-ranker roles read per second, applied or skipped as already ' +
        'applied. Bad: skipped well above 0 for long (Kafka redelivers: rebalances or crashes before commits).',
      unit: 'ops',
      w: 8,
      min: 0,
      queries: [
        { expr: sumRate(sel(M.analyticsEvents.name), 'outcome'), legend: 'analytics {{outcome}}' },
        { expr: sumRate(sel(M.notifierEvents.name), 'outcome'), legend: 'notifier {{outcome}}' },
        { expr: sumRate(sel(M.feedRankerEvents.name), 'outcome'), legend: 'feed-ranker {{outcome}}' },
      ],
    }),
    timeseries({
      title: 'Notification deliveries and retries',
      description:
        'Pushes of closed notifications to the webhook per second: delivered, failed (retried later with ' +
        'backoff) or breaker_open (not tried while the push service is down). Bad: failed or breaker_open ' +
        'above 0 for long: the push service is down and notifications wait.',
      unit: 'ops',
      w: 8,
      min: 0,
      queries: [
        { expr: sumRate(sel(M.notificationDeliveries.name), 'outcome'), legend: '{{outcome}}' },
        { expr: sumRate(sel(M.notifierBatches.name), 'outcome'), legend: 'batches {{outcome}}' },
      ],
    }),
    timeseries({
      title: 'Feed refresh time',
      description:
        'Time to compute the feed candidate set in Postgres and publish it to Redis, p50 and p99. Bad: ' +
        'approaching the refresh period (LIKEPIPE_FEED_REFRESH_MS): the feed goes stale.',
      unit: 's',
      w: 8,
      queries: p50p99(M.feedRefreshDuration),
    }),
    timeseries({
      title: 'Feed candidates and refreshes',
      description:
        'Posts in the last published candidate snapshot (per feed-ranker). Bad: 0 (the feed is empty) or ' +
        'refresh errors in the panel beside it.',
      unit: 'short',
      w: 8,
      min: 0,
      queries: [{ expr: `max(${sel(M.feedCandidates.name, roleIs('feed-ranker'))})`, legend: 'candidates' }],
    }),
    timeseries({
      title: 'Feed refreshes and ranker batches by outcome',
      description:
        'Candidate snapshots computed and feed-ranker partition batches written per second, by outcome. Bad: ' +
        'error outcomes (the snapshot expires after 10 minutes without a refresh).',
      unit: 'ops',
      w: 12,
      min: 0,
      queries: [
        { expr: sumRate(sel(M.feedRefreshes.name), 'outcome'), legend: 'refresh {{outcome}}' },
        { expr: sumRate(sel(M.feedRankerBatches.name), 'outcome'), legend: 'batches {{outcome}}' },
      ],
    }),
    timeseries({
      title: 'Malformed events skipped',
      description:
        'Kafka records skipped per second because they were not valid like events, by consumer. Bad: any: a ' +
        'producer writes something else to the topic, or a schema change broke compatibility.',
      unit: 'ops',
      w: 12,
      min: 0,
      queries: [{ expr: sumRate(sel(M.malformedEvents.name), 'consumer'), legend: '{{consumer}}' }],
    }),
    timeseries({
      title: 'Consumer group rebalances',
      description:
        'Group joins per second, by consumer group: each rebalance stops the whole group for a moment. Bad: ' +
        'joins outside deployments and scaling, i.e. members dropped for missing heartbeats (a flush longer than ' +
        'the session timeout, CPU starvation) or crash-looping pods.',
      unit: 'ops',
      w: 12,
      min: 0,
      queries: [{ expr: sumRate(sel(M.consumerRebalances.name), 'group'), legend: '{{group}}' }],
    }),
    timeseries({
      title: 'Consumer partitions stalled',
      description:
        'Assigned partitions per second that a consumer found stalled (records waiting, nothing fetched or ' +
        'committed for LIKEPIPE_CONSUMER_STALL_TIMEOUT_MS), by consumer group; each one restarted that consumer ' +
        'from its committed offsets. Bad: any: the Kafka client lost track of a partition (seen after all Kafka ' +
        'brokers restart); recurring stalls mean the restart does not cure it.',
      unit: 'ops',
      w: 12,
      min: 0,
      queries: [{ expr: sumRate(sel(M.consumerStalls.name), 'group'), legend: '{{group}}' }],
    }),
  ],
};

const keeper = {
  row: 'Builtin Redis Cluster keeper',
  panels: [
    stat({
      title: 'Redis Cluster OK',
      description:
        '1 when every reachable Redis node reports cluster_state:ok and the masters serve all 16384 slots (the ' +
        "keeper's last pass; only with the builtin Redis). Bad: 0: some keys cannot be read or written.",
      unit: 'none',
      w: 6,
      lowIsBad: true,
      bad: 0.5,
      warn: 1,
      queries: [{ expr: `min(${sel(M.redisKeeperClusterOk.name, roleIs('redis-cluster-keeper'))})`, legend: 'ok' }],
    }),
    stat({
      title: 'Uncovered hash slots',
      description: 'Hash slots no reachable master serves. Bad: above 0 (likes on those slots fail or degrade).',
      unit: 'short',
      w: 6,
      warn: 1,
      bad: 1,
      queries: [
        {
          expr: `max(${sel(M.redisKeeperUncoveredSlots.name, roleIs('redis-cluster-keeper'))})`,
          legend: 'uncovered',
        },
      ],
    }),
    timeseries({
      title: 'Keeper actions',
      description:
        'Commands the keeper ran to create or heal the cluster, per second, by action and outcome. Bad: error ' +
        'outcomes, or the same healing action repeating pass after pass (a node that never recovers).',
      unit: 'ops',
      w: 12,
      h: 5,
      min: 0,
      queries: [
        {
          expr: sumRate(sel(M.redisKeeperActions.name), `action, outcome`),
          legend: '{{action}} {{outcome}}',
        },
        { expr: sumRate(sel(M.redisKeeperPasses.name), `outcome`), legend: `passes {{outcome}}` },
      ],
    }),
  ],
};

export const internals = () =>
  dashboard({
    uid: INTERNALS_UID,
    title: 'LikePipeline / Pipeline internals',
    description:
      'Inside each role: Kafka producing, Redis calls, the count cache, truth-writer flushes, the reconciler, ' +
      'the analytics, notifier and feed-ranker consumers, and the builtin Redis keeper.',
    tags: ['internals'],
    sections: [api, truth, reconciler, consumers, keeper],
  });
