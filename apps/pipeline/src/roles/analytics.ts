import type { AnalyticsConfig } from '../config.js';
import { createKafka } from '../kafka/client.js';
import { startLagReporter } from '../kafka/lag-reporter.js';
import { runOncePerOffsetConsumer } from '../kafka/once-per-offset-consumer.js';
import type { Logger } from '../observability/logger.js';
import { analyticsBatchDuration, analyticsBatches, analyticsEvents } from '../observability/metrics.js';
import { createPool } from '../postgres/pool.js';
import { PgStatsStore } from '../postgres/stats-store.js';
import { startMetricsServer } from './metrics-server.js';
import { onShutdown } from './shutdown.js';

export const ANALYTICS_GROUP = 'likepipe-analytics';

/**
 * The analytics role: per-minute like and unlike counts per post. Each flush (all partitions' batches, every
 * second or 5,000 events) is one Postgres transaction that also records each partition's progress, so a batch
 * Kafka delivers again is skipped; the Kafka offsets are committed after that transaction.
 */
export async function runAnalytics(config: AnalyticsConfig, log: Logger): Promise<void> {
  const pool = createPool(config.DATABASE_URL, { max: 4, applicationName: 'likepipe-analytics' });
  const store = new PgStatsStore(pool);
  const kafka = createKafka(config.KAFKA_BROKERS, 'likepipe-analytics', log);
  let running = false;
  const metrics = await startMetricsServer(config, () => running);
  const consumer = await runOncePerOffsetConsumer({
    kafka,
    group: ANALYTICS_GROUP,
    topic: config.LIKEPIPE_KAFKA_TOPIC,
    sessionTimeoutMs: config.LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS,
    flushIntervalMs: config.LIKEPIPE_FLUSH_INTERVAL_MS,
    batchSize: config.LIKEPIPE_BATCH_SIZE,
    name: 'analytics',
    log,
    apply: async (batches) => {
      const end = analyticsBatchDuration.startTimer();
      try {
        const r = await store.apply(batches);
        analyticsBatches.inc({ outcome: 'ok' });
        analyticsEvents.inc({ outcome: 'applied' }, r.applied);
        if (r.skipped > 0) analyticsEvents.inc({ outcome: 'skipped' }, r.skipped);
      } catch (err) {
        analyticsBatches.inc({ outcome: 'error' });
        throw err;
      } finally {
        end();
      }
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
