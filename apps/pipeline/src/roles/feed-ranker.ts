import { consumerGroup } from '@likepipe/contract';
import { VELOCITY_WINDOW_MS, type FeedSnapshot } from '@likepipe/core';
import type { FeedRankerConfig } from '../config.js';
import type { Logger } from '../observability/logger.js';
import {
  feedCandidates,
  feedRankerBatches,
  feedRankerEvents,
  feedRefreshDuration,
  feedRefreshes,
} from '../observability/metrics.js';
import { PgFeedStore } from '../postgres/feed-store.js';
import { RedisFeedSnapshots } from '../redis/feed-snapshots.js';
import { startConsumer } from '../runtime/consumer-runtime.js';
import { countedApply } from '../runtime/counted-apply.js';
import { startPeriodicTask } from '../runtime/periodic-task.js';
import { RoleProcess } from '../runtime/role-process.js';

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
  const proc = new RoleProcess('feed-ranker', log);
  const store = new PgFeedStore(proc.pool(config.DATABASE_URL, 4));
  const snapshots = new RedisFeedSnapshots(
    proc.redis(config.REDIS_CLUSTER_NODES, { commandTimeoutMs: 2_000, failFast: false }),
  );
  await proc.serveMetrics(config);
  const consumer = await startConsumer({
    role: 'feed-ranker',
    kafka: proc.kafka(config.KAFKA_BROKERS),
    config,
    log,
    apply: (batches) =>
      countedApply({ batches: feedRankerBatches, events: feedRankerEvents }, () => store.apply(batches, Date.now())),
  });
  proc.onStop(() => consumer.stop());
  proc.readyOnlyWhile(() => consumer.ready());

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
  // Registered after the consumer, so a refresh in progress finishes before the consumer stops.
  const refreshing = startPeriodicTask(config.LIKEPIPE_FEED_REFRESH_MS, refresh, (err) =>
    log.warn('feed refresh failed', { err: err as Error }),
  );
  proc.onStop(() => refreshing.stop());
  return proc.run({ group: consumerGroup('feed-ranker'), refreshMs: config.LIKEPIPE_FEED_REFRESH_MS });
}
