import { parseLikeEvent, type LikeEvent } from '@likepipe/core';
import type { AnalyticsConfig } from '../config.js';
import { createKafka } from '../kafka/client.js';
import { startLagReporter } from '../kafka/lag-reporter.js';
import type { Logger } from '../observability/logger.js';
import {
  analyticsBatchDuration,
  analyticsBatches,
  analyticsEvents,
  malformedEvents,
} from '../observability/metrics.js';
import { createPool } from '../postgres/pool.js';
import { isRetriablePgError } from '../postgres/truth-store.js';
import { PgStatsStore, type PartitionBatch } from '../postgres/stats-store.js';
import { startMetricsServer } from './metrics-server.js';
import { onShutdown } from './shutdown.js';

export const ANALYTICS_GROUP = 'likepipe-analytics';

/**
 * The analytics role: per-minute like and unlike counts per post. Each fetched partition batch is one
 * Postgres transaction (never one write per like) that also records the partition's progress, so a batch Kafka
 * delivers again is skipped; the Kafka offset is committed after that transaction.
 */
export async function runAnalytics(config: AnalyticsConfig, log: Logger): Promise<void> {
  const pool = createPool(config.DATABASE_URL, { max: 4, applicationName: 'likepipe-analytics' });
  const store = new PgStatsStore(pool);
  const kafka = createKafka(config.KAFKA_BROKERS, 'likepipe-analytics', log);
  const consumer = kafka.consumer({
    groupId: ANALYTICS_GROUP,
    sessionTimeout: config.LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: 250,
  });
  let running = false;

  const write = async (batch: PartitionBatch, isRunning: () => boolean): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const end = analyticsBatchDuration.startTimer();
      try {
        const r = await store.apply(batch);
        end();
        analyticsBatches.inc({ outcome: 'ok' });
        analyticsEvents.inc({ outcome: 'applied' }, r.applied);
        if (r.skipped > 0) analyticsEvents.inc({ outcome: 'skipped' }, r.skipped);
        return;
      } catch (err) {
        end();
        analyticsBatches.inc({ outcome: 'error' });
        // Postgres down: keep the batch and retry; the Kafka offset stays put, so nothing is lost.
        if (!isRunning()) throw err;
        const delay = Math.min(200 * 2 ** Math.min(attempt, 6), 10_000);
        log.warn('stats batch failed; retrying', {
          attempt,
          delayMs: delay,
          retriable: isRetriablePgError(err),
          err: err as Error,
        });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };

  const metrics = await startMetricsServer(config.LIKEPIPE_METRICS_PORT, () => running);
  await consumer.connect();
  await consumer.subscribe({ topic: config.LIKEPIPE_KAFKA_TOPIC, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
      if (batch.messages.length === 0) return;
      const records = batch.messages.map((m) => {
        let event: LikeEvent | null = null;
        try {
          event = parseLikeEvent(m.value);
        } catch (err) {
          malformedEvents.inc({ consumer: 'analytics' });
          log.warn('skipping malformed record', { partition: batch.partition, offset: m.offset, err: err as Error });
        }
        return { offset: BigInt(m.offset), event };
      });
      if (!isRunning() || isStale()) return;
      await write({ group: ANALYTICS_GROUP, topic: batch.topic, partition: batch.partition, records }, isRunning);
      resolveOffset(batch.lastOffset());
      const next = (BigInt(batch.lastOffset()) + 1n).toString();
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      await heartbeat();
    },
  });
  const lag = startLagReporter(kafka, ANALYTICS_GROUP, config.LIKEPIPE_KAFKA_TOPIC, 5_000, log);
  running = true;
  log.info('analytics running', { group: ANALYTICS_GROUP });

  return new Promise((resolve) => {
    onShutdown(log, async () => {
      running = false;
      // disconnect() waits for the batch in progress, so its transaction and offset commit complete.
      await consumer.disconnect();
      await lag.stop();
      await pool.end();
      metrics.close();
      resolve();
    });
  });
}
