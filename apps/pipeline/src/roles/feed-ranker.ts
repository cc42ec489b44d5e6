import { VELOCITY_WINDOW_MS, type FeedSnapshot } from '@likepipe/core';
import type { FeedRankerConfig } from '../config.js';
import { createKafka } from '../kafka/client.js';
import { startLagReporter } from '../kafka/lag-reporter.js';
import { runOncePerOffsetConsumer } from '../kafka/once-per-offset-consumer.js';
import type { Logger } from '../observability/logger.js';
import {
  feedCandidates,
  feedRankerBatches,
  feedRankerEvents,
  feedRefreshDuration,
  feedRefreshes,
} from '../observability/metrics.js';
import { PgFeedStore } from '../postgres/feed-store.js';
import { createPool } from '../postgres/pool.js';
import { RedisFeedSnapshots } from '../redis/feed-snapshots.js';
import { createRedisCluster } from '../redis/client.js';
import { startMetricsServer } from './metrics-server.js';
import { onShutdown } from './shutdown.js';

export const FEED_RANKER_GROUP = 'likepipe-feed-ranker';

/** Buckets this much older than the window can never be read again; pruning them keeps the table small. */
const PRUNE_AFTER_MS = VELOCITY_WINDOW_MS + 5 * 60_000;
const PRUNE_EVERY_MS = 60_000;

/**
 * The feed-ranker role. Consuming: per-minute like-velocity buckets and per-user author affinities, one
 * Postgres transaction per flush of all its partitions, exact under replay (consumer_progress). Ranking: every
 * LIKEPIPE_FEED_REFRESH_MS it asks Postgres for the bounded candidate set (hottest by sliding-window velocity,
 * plus newest) and publishes it to Redis, where every like-API replica adds the viewer's relationship and
 * picks the top K. Velocity is shared in Postgres rather than held in memory because a post's likes are spread
 * over every partition (the key is post:user) and so over every replica of this role.
 */
export async function runFeedRanker(config: FeedRankerConfig, log: Logger): Promise<void> {
  const pool = createPool(config.DATABASE_URL, { max: 4, applicationName: 'likepipe-feed-ranker' });
  const store = new PgFeedStore(pool);
  const redis = createRedisCluster(config.REDIS_CLUSTER_NODES, { commandTimeoutMs: 2_000, failFast: false });
  redis.on('error', (err: Error) => log.debug('redis client error', { err }));
  const snapshots = new RedisFeedSnapshots(redis);
  const kafka = createKafka(config.KAFKA_BROKERS, 'likepipe-feed-ranker', log);
  let running = false;
  const metrics = await startMetricsServer(config, () => running);
  const consumer = await runOncePerOffsetConsumer({
    kafka,
    group: FEED_RANKER_GROUP,
    topic: config.LIKEPIPE_KAFKA_TOPIC,
    sessionTimeoutMs: config.LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS,
    flushIntervalMs: config.LIKEPIPE_FLUSH_INTERVAL_MS,
    batchSize: config.LIKEPIPE_BATCH_SIZE,
    name: 'feed-ranker',
    log,
    apply: async (batches) => {
      try {
        const r = await store.apply(batches, Date.now());
        feedRankerBatches.inc({ outcome: 'ok' });
        feedRankerEvents.inc({ outcome: 'applied' }, r.applied);
        if (r.skipped > 0) feedRankerEvents.inc({ outcome: 'skipped' }, r.skipped);
      } catch (err) {
        feedRankerBatches.inc({ outcome: 'error' });
        throw err;
      }
    },
  });
  const lag = startLagReporter(kafka, FEED_RANKER_GROUP, config.LIKEPIPE_KAFKA_TOPIC, 5_000, log);

  let lastPrune = 0;
  const refresh = async () => {
    const end = feedRefreshDuration.startTimer();
    try {
      const now = Date.now();
      const candidates = await store.candidates(
        now,
        config.LIKEPIPE_FEED_HOT_CANDIDATES,
        config.LIKEPIPE_FEED_NEW_CANDIDATES,
      );
      const snapshot: FeedSnapshot = { computedAt: new Date(now).toISOString(), candidates };
      // Expires after one window: a feed must not rank on velocities nobody is updating any more.
      await snapshots.publish(snapshot, VELOCITY_WINDOW_MS);
      feedCandidates.set(candidates.length);
      feedRefreshes.inc({ outcome: 'ok' });
      if (now - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = now;
        const pruned = await store.prune(now - PRUNE_AFTER_MS);
        if (pruned > 0) log.debug('pruned velocity buckets', { pruned });
      }
    } catch (err) {
      feedRefreshes.inc({ outcome: 'error' });
      log.warn('feed refresh failed; the last snapshot stays until it expires', { err: err as Error });
    } finally {
      end();
    }
  };
  // Chained timeouts, not setInterval: a slow refresh never overlaps the next one.
  let timer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> = Promise.resolve();
  const loop = () => {
    refreshing = refresh().finally(() => {
      if (running) timer = setTimeout(loop, config.LIKEPIPE_FEED_REFRESH_MS);
    });
  };
  running = true;
  loop();
  log.info('feed-ranker running', { group: FEED_RANKER_GROUP, refreshMs: config.LIKEPIPE_FEED_REFRESH_MS });

  return new Promise((resolve) => {
    onShutdown(log, async () => {
      running = false;
      clearTimeout(timer);
      await refreshing;
      // disconnect() waits for the batch in progress, so its transaction and offset commit complete.
      await consumer.disconnect();
      await lag.stop();
      await Promise.allSettled([redis.quit(), pool.end()]);
      metrics.close();
      resolve();
    });
  });
}
