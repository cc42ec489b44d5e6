import { parseLikeEvent, planTruthBatch, type LikeEvent } from '@likepipe/core';
import type { Span } from '@opentelemetry/api';
import type { TruthWriterConfig } from '../config.js';
import { createKafka } from '../kafka/client.js';
import { startLagReporter } from '../kafka/lag-reporter.js';
import { endSpans, inSpan, startBatchSpan, startProcessSpans } from '../kafka/tracing.js';
import type { Logger } from '../observability/logger.js';
import {
  malformedEvents,
  truthFlushDuration,
  truthFlushEvents,
  truthFlushes,
  truthRowsChanged,
} from '../observability/metrics.js';
import { tracingOn } from '../observability/tracing.js';
import { createPool } from '../postgres/pool.js';
import { isRetriablePgError, PgTruthStore } from '../postgres/truth-store.js';
import { FlushAccumulator } from './flush-accumulator.js';
import { startMetricsServer } from './metrics-server.js';
import { onShutdown } from './shutdown.js';

export const TRUTH_WRITER_GROUP = 'likepipe-truth-writer';

/**
 * The truth-writer role: the only writer of likes and like_count. Kafka offsets are committed after the
 * Postgres transaction commits, so a crash replays at most the last flush, which planTruthBatch makes harmless.
 */
export async function runTruthWriter(config: TruthWriterConfig, log: Logger): Promise<void> {
  const pool = createPool(config.DATABASE_URL, { max: 4, applicationName: 'likepipe-truth-writer' });
  const store = new PgTruthStore(pool);
  const kafka = createKafka(config.KAFKA_BROKERS, 'likepipe-truth-writer', log);
  const consumer = kafka.consumer({
    groupId: TRUTH_WRITER_GROUP,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: 250,
  });
  let running = false;

  const flush = async (events: LikeEvent[], spans: Span[]): Promise<void> => {
    if (!tracingOn()) return writeFlush(events);
    // One span per flush (its Postgres spans nest under it), linked to every traced like it writes.
    const span = startBatchSpan('truth-writer flush', spans, {
      'likepipe.flush.events': events.length,
      'messaging.batch.message_count': events.length,
    });
    return inSpan(span, () => writeFlush(events, span));
  };
  const writeFlush = async (events: LikeEvent[], span?: Span): Promise<void> => {
    const plan = planTruthBatch(events);
    for (let attempt = 1; ; attempt++) {
      const end = truthFlushDuration.startTimer();
      try {
        const r = await store.apply(plan);
        end();
        truthFlushes.inc({ outcome: 'ok' });
        truthFlushEvents.observe(events.length);
        truthRowsChanged.inc({ kind: 'net' }, Math.abs(r.netDelta));
        log.debug('flushed', { events: events.length, posts: r.postsTouched, netDelta: r.netDelta });
        span?.setAttributes({ 'likepipe.flush.posts': r.postsTouched, 'likepipe.flush.attempts': attempt });
        return;
      } catch (err) {
        end();
        truthFlushes.inc({ outcome: 'error' });
        span?.recordException(err as Error);
        // Postgres down or a deadlock: keep the batch and retry; offsets stay put, so nothing is lost.
        const delay = Math.min(200 * 2 ** Math.min(attempt, 6), 10_000);
        log.warn('flush failed; retrying', {
          attempt,
          delayMs: delay,
          retriable: isRetriablePgError(err),
          err: err as Error,
        });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };
  const accumulator = new FlushAccumulator(flush, config.LIKEPIPE_FLUSH_INTERVAL_MS, config.LIKEPIPE_BATCH_SIZE);

  const metrics = await startMetricsServer(config, () => running);
  await consumer.connect();
  await consumer.subscribe({ topic: config.LIKEPIPE_KAFKA_TOPIC, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    // All partitions' batches must be able to wait on the same flush at once.
    partitionsConsumedConcurrently: 64,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
      // A span per traced message, parented to the like's trace; it lasts until the like is in Postgres.
      const spans = tracingOn() ? startProcessSpans(batch, TRUTH_WRITER_GROUP) : undefined;
      const events: LikeEvent[] = [];
      const eventSpans: (Span | undefined)[] = [];
      batch.messages.forEach((m, i) => {
        try {
          events.push(parseLikeEvent(m.value));
          if (spans) eventSpans.push(spans[i]);
        } catch (err) {
          malformedEvents.inc({ consumer: 'truth-writer' });
          log.warn('skipping malformed record', { partition: batch.partition, offset: m.offset, err: err as Error });
          endSpans([spans?.[i]], err);
        }
      });
      if (!isRunning() || isStale()) return endSpans(eventSpans);
      try {
        if (events.length > 0) await accumulator.add(events, eventSpans);
      } catch (err) {
        endSpans(eventSpans, err);
        throw err;
      }
      endSpans(eventSpans);
      // Both steps matter: resolveOffset moves kafkajs's fetch position (without it the batch is fetched
      // again), commitOffsets records progress in the group, and only now that Postgres has committed.
      resolveOffset(batch.lastOffset());
      const next = (BigInt(batch.lastOffset()) + 1n).toString();
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      await heartbeat();
    },
  });
  const lag = startLagReporter(kafka, TRUTH_WRITER_GROUP, config.LIKEPIPE_KAFKA_TOPIC, 5_000, log);
  running = true;
  log.info('truth-writer running', {
    flushIntervalMs: config.LIKEPIPE_FLUSH_INTERVAL_MS,
    batchSize: config.LIKEPIPE_BATCH_SIZE,
  });

  return new Promise((resolve) => {
    onShutdown(log, async () => {
      running = false;
      // disconnect() waits for the batches in progress, so their flush and offset commit complete.
      await consumer.disconnect();
      await lag.stop();
      await pool.end();
      metrics.close();
      resolve();
    });
  });
}
