import { parseLikeEvent, type LikeEvent } from '@likepipe/core';
import { trace } from '@opentelemetry/api';
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../observability/logger.js';
import { malformedEvents } from '../observability/metrics.js';
import { tracingOn } from '../observability/tracing.js';
import type { PartitionBatch } from '../postgres/consumer-progress.js';
import { endSpans, inSpan, startBatchSpan, startProcessSpans } from './tracing.js';

export interface OncePerOffsetOptions {
  kafka: Kafka;
  group: string;
  topic: string;
  sessionTimeoutMs: number;
  /** Label for metrics and logs. */
  name: string;
  log: Logger;
  /** Writes one partition batch; it must skip offsets already applied (see postgres/consumer-progress.ts). */
  apply: (batch: PartitionBatch) => Promise<void>;
}

/**
 * The consumer loop shared by the roles whose writes are additive (analytics, notifier): each fetched partition
 * batch is parsed (malformed records are counted and skipped, never stall a partition), handed to `apply` as
 * one unit, retried with backoff while Postgres is down, and only then resolved and committed in Kafka.
 */
export async function runOncePerOffsetConsumer(opts: OncePerOffsetOptions): Promise<Consumer> {
  const { log } = opts;
  const consumer = opts.kafka.consumer({
    groupId: opts.group,
    sessionTimeout: opts.sessionTimeoutMs,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: 250,
  });
  const write = async (batch: PartitionBatch, isRunning: () => boolean): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await opts.apply(batch);
      } catch (err) {
        // Keep the batch and retry: the Kafka offset stays put, so nothing is lost. On shutdown, give up and
        // let the next owner of the partition redo it.
        if (!isRunning()) throw err;
        trace.getActiveSpan()?.recordException(err as Error);
        const delay = Math.min(200 * 2 ** Math.min(attempt, 6), 10_000);
        log.warn(`${opts.name} batch failed; retrying`, { attempt, delayMs: delay, err: err as Error });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
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
          malformedEvents.inc({ consumer: opts.name });
          log.warn('skipping malformed record', { partition: batch.partition, offset: m.offset, err: err as Error });
        }
        return { offset: BigInt(m.offset), event };
      });
      if (!isRunning() || isStale()) return;
      const partitionBatch = { group: opts.group, topic: batch.topic, partition: batch.partition, records };
      if (!tracingOn()) {
        await write(partitionBatch, isRunning);
      } else {
        // A span per traced message (child of its like's trace) and one for the batch's transaction.
        const spans = startProcessSpans(batch, opts.group);
        const batchSpan = startBatchSpan(`${opts.name} batch`, spans, {
          'messaging.batch.message_count': records.length,
          'messaging.consumer.group.name': opts.group,
          'messaging.destination.partition.id': String(batch.partition),
        });
        try {
          await inSpan(batchSpan, () => write(partitionBatch, isRunning));
        } catch (err) {
          endSpans(spans, err);
          throw err;
        }
        endSpans(spans);
      }
      resolveOffset(batch.lastOffset());
      const next = (BigInt(batch.lastOffset()) + 1n).toString();
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      await heartbeat();
    },
  });
  return consumer;
}
