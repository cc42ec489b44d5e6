import { consumerGroup } from '@likepipe/contract';
import { planTruthBatch } from '@likepipe/core';
import type { TruthWriterConfig } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { truthFlushDuration, truthFlushEvents, truthFlushes, truthRowsChanged } from '../observability/metrics.js';
import { PgTruthStore } from '../postgres/truth-store.js';
import { startConsumer } from '../runtime/consumer-runtime.js';
import { RoleProcess } from '../runtime/role-process.js';

/**
 * The truth-writer role: the only writer of likes and like_count. A flush folds every partition's events to
 * the last intent per (post, user) (planTruthBatch) and writes them in one transaction; the Kafka offsets are
 * committed after it commits, so a crash replays at most the last flush, which the folding makes harmless.
 */
export async function runTruthWriter(config: TruthWriterConfig, log: Logger): Promise<void> {
  const proc = new RoleProcess('truth-writer', log);
  const store = new PgTruthStore(proc.pool(config.DATABASE_URL, 4));
  await proc.serveMetrics(config);
  const consumer = await startConsumer({
    role: 'truth-writer',
    kafka: proc.kafka(config.KAFKA_BROKERS),
    config,
    log,
    flushSpanName: 'truth-writer flush',
    apply: async (batches, { attempt, span }) => {
      // Offsets do not matter here: applying a folded batch twice changes nothing.
      const events = batches.flatMap((b) => b.records.flatMap((r) => (r.event ? [r.event] : [])));
      if (events.length === 0) return;
      span?.setAttribute('likepipe.flush.events', events.length);
      const end = truthFlushDuration.startTimer();
      try {
        const r = await store.apply(planTruthBatch(events));
        truthFlushes.inc({ outcome: 'ok' });
        truthFlushEvents.observe(events.length);
        truthRowsChanged.inc({ kind: 'net' }, Math.abs(r.netDelta));
        log.debug('flushed', { events: events.length, posts: r.postsTouched, netDelta: r.netDelta });
        span?.setAttributes({ 'likepipe.flush.posts': r.postsTouched, 'likepipe.flush.attempts': attempt });
      } catch (err) {
        truthFlushes.inc({ outcome: 'error' });
        throw err;
      } finally {
        end();
      }
    },
  });
  proc.onStop(() => consumer.stop());
  proc.readyOnlyWhile(() => consumer.ready());
  return proc.run({
    group: consumerGroup('truth-writer'),
    flushIntervalMs: config.LIKEPIPE_FLUSH_INTERVAL_MS,
    batchSize: config.LIKEPIPE_BATCH_SIZE,
    sessionTimeoutMs: config.LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS,
  });
}
