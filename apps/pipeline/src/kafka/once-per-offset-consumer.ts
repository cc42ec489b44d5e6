import { parseLikeEvent, type LikeEvent } from '@likepipe/core';
import type { Span } from '@opentelemetry/api';
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../observability/logger.js';
import { malformedEvents } from '../observability/metrics.js';
import { tracingOn } from '../observability/tracing.js';
import type { PartitionBatch } from '../postgres/consumer-progress.js';
import { FlushAccumulator } from '../roles/flush-accumulator.js';
import { endSpans, inSpan, startBatchSpan, startProcessSpans } from './tracing.js';

export interface OncePerOffsetOptions {
  kafka: Kafka;
  group: string;
  topic: string;
  sessionTimeoutMs: number;
  /** A flush is written after this long, or sooner once it holds `batchSize` records. */
  flushIntervalMs: number;
  batchSize: number;
  /** Label for metrics, logs and the flush span (`<name> batch`). */
  name: string;
  log: Logger;
  /**
   * Writes one flush (the partition batches of every partition that had records) in one transaction; it must
   * skip offsets already applied (see postgres/consumer-progress.ts).
   */
  apply: (batches: PartitionBatch[]) => Promise<void>;
}

/**
 * The consumer loop shared by the roles whose writes are additive (analytics, notifier, feed-ranker): each
 * fetched partition batch is parsed (malformed records are counted and skipped, never stall a partition) and
 * joins the current flush; the flush is written as one unit, retried with backoff while Postgres is down, and
 * only then does each partition resolve and commit its offsets in Kafka.
 */
export async function runOncePerOffsetConsumer(opts: OncePerOffsetOptions): Promise<Consumer> {
  const { log } = opts;
  const consumer = opts.kafka.consumer({
    groupId: opts.group,
    sessionTimeout: opts.sessionTimeoutMs,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: 250,
  });
  // The newest handler's view of the consumer: a flush retrying against a dead Postgres gives up once the
  // consumer stops (the next owner of the partitions redoes it), so shutdown never hangs on it.
  let isRunning = () => true;
  const write = async (batches: PartitionBatch[], span?: Span): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await opts.apply(batches);
      } catch (err) {
        // Keep the flush and retry: the Kafka offsets stay put, so nothing is lost.
        if (!isRunning()) throw err;
        span?.recordException(err as Error);
        const delay = Math.min(200 * 2 ** Math.min(attempt, 6), 10_000);
        log.warn(`${opts.name} batch failed; retrying`, { attempt, delayMs: delay, err: err as Error });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };
  const flush = async (batches: PartitionBatch[], spans: Span[]): Promise<void> => {
    if (!tracingOn()) return write(batches);
    // One span per flush (its Postgres spans nest under it), linked to every traced message it writes.
    const records = batches.reduce((n, b) => n + b.records.length, 0);
    const span = startBatchSpan(`${opts.name} batch`, spans, {
      'messaging.batch.message_count': records,
      'messaging.consumer.group.name': opts.group,
      'likepipe.flush.partitions': batches.length,
    });
    return inSpan(span, () => write(batches, span));
  };
  const accumulator = new FlushAccumulator<PartitionBatch>(
    flush,
    opts.flushIntervalMs,
    opts.batchSize,
    (b) => b.records.length,
  );

  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    // Every partition's batch must be able to wait on the same flush at once.
    partitionsConsumedConcurrently: 64,
    eachBatch: async ({ batch, heartbeat, isRunning: running, isStale, resolveOffset }) => {
      if (batch.messages.length === 0) return;
      isRunning = running;
      // A span per traced message (child of its like's trace); it lasts until the flush holding it is written.
      const spans = tracingOn() ? startProcessSpans(batch, opts.group) : [];
      const records = batch.messages.map((m, i) => {
        let event: LikeEvent | null = null;
        try {
          event = parseLikeEvent(m.value);
        } catch (err) {
          malformedEvents.inc({ consumer: opts.name });
          log.warn('skipping malformed record', { partition: batch.partition, offset: m.offset, err: err as Error });
          endSpans([spans[i]], err);
          spans[i] = undefined;
        }
        return { offset: BigInt(m.offset), event };
      });
      if (!running() || isStale()) return endSpans(spans);
      const partitionBatch = { group: opts.group, topic: batch.topic, partition: batch.partition, records };
      try {
        await accumulator.add([partitionBatch], spans);
      } catch (err) {
        endSpans(spans, err);
        throw err;
      }
      endSpans(spans);
      resolveOffset(batch.lastOffset());
      const next = (BigInt(batch.lastOffset()) + 1n).toString();
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      await heartbeat();
    },
  });
  return consumer;
}
