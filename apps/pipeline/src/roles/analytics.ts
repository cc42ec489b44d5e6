import { consumerGroup } from '@likepipe/contract';
import type { AnalyticsConfig } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { analyticsBatchDuration, analyticsBatches, analyticsEvents } from '../observability/metrics.js';
import { PgStatsStore } from '../postgres/stats-store.js';
import { startConsumer } from '../runtime/consumer-runtime.js';
import { countedApply } from '../runtime/counted-apply.js';
import { RoleProcess } from '../runtime/role-process.js';

/**
 * The analytics role: per-minute like and unlike counts per post. Each flush (all partitions' batches, every
 * second or 5,000 events) is one Postgres transaction that also records each partition's progress, so a batch
 * Kafka delivers again is skipped; the Kafka offsets are committed after that transaction.
 */
export async function runAnalytics(config: AnalyticsConfig, log: Logger): Promise<void> {
  const proc = new RoleProcess('analytics', log);
  const store = new PgStatsStore(proc.pool(config.DATABASE_URL, 4));
  await proc.serveMetrics(config);
  const consumer = await startConsumer({
    role: 'analytics',
    kafka: proc.kafka(config.KAFKA_BROKERS),
    config,
    log,
    apply: (batches) =>
      countedApply({ batches: analyticsBatches, events: analyticsEvents, duration: analyticsBatchDuration }, () =>
        store.apply(batches),
      ),
  });
  proc.onStop(() => consumer.stop());
  proc.readyOnlyWhile(() => consumer.ready());
  return proc.run({ group: consumerGroup('analytics') });
}
