import { consumerGroup, type ConsumerRole } from '@likepipe/contract';
import { parseLikeEvent, type LikeEvent } from '@likepipe/core';
import type { Span } from '@opentelemetry/api';
import type { Kafka } from 'kafkajs';
import { startProcessSpans } from '../kafka/tracing.js';
import type { Logger } from '../observability/logger.js';
import { consumerRebalances, malformedEvents } from '../observability/metrics.js';
import { endSpans, inSpan, startBatchSpan } from '../observability/spans.js';
import { tracingOn } from '../observability/tracing.js';
import type { PartitionBatch } from '../postgres/consumer-progress.js';
import { FlushAccumulator } from './flush-accumulator.js';
import { startLagReporter } from './lag-reporter.js';
import { isRetriable, retry } from './retry.js';

/** The environment every consumer role takes (packages/contract/src/role-env.ts). */
export interface ConsumerConfig {
  KAFKA_BROKERS: string[];
  LIKEPIPE_KAFKA_TOPIC: string;
  LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS: number;
  /** A flush is written after this long, or sooner once it holds `LIKEPIPE_BATCH_SIZE` records. */
  LIKEPIPE_FLUSH_INTERVAL_MS: number;
  LIKEPIPE_BATCH_SIZE: number;
}

/** What `apply` gets besides the batches: which attempt this is, and the flush's span when traced. */
export interface FlushContext {
  attempt: number;
  span?: Span;
}

export interface ConsumerOptions {
  role: ConsumerRole;
  kafka: Kafka;
  config: ConsumerConfig;
  log: Logger;
  /** The flush span's name; `<role> batch` unless set. */
  flushSpanName?: string;
  /**
   * Writes one flush (the partition batches of every partition that had records, in arrival order, each with
   * its offsets and parsed events) in one transaction. It runs again after a failure, so it must be safe to
   * repeat: idempotent (the truth-writer's folding) or skipping offsets already applied
   * (postgres/consumer-progress.ts).
   */
  apply: (batches: PartitionBatch[], flush: FlushContext) => Promise<void>;
}

export interface RunningConsumer {
  /** Ends retrying at once, lets the flush in hand finish (committing if it is written), leaves the group. */
  stop(): Promise<void>;
}

/** Waits between attempts at a failed flush: 400 ms doubling to 10 s. */
const FLUSH_BACKOFF = { baseMs: 400, maxMs: 10_000 };
const LAG_INTERVAL_MS = 5_000;
const HEARTBEAT_INTERVAL_MS = 3_000;

/**
 * The one consumer loop of every consumer role (truth-writer, analytics, notifier, feed-ranker): each fetched
 * partition batch is parsed (malformed records are counted and skipped, never stall a partition) and joins
 * the current flush (runtime/flush-accumulator.ts); the flush is written by `apply` as one unit, retried with
 * backoff while it fails, and only then does each partition resolve and commit its offsets in Kafka, so a
 * crash replays at most one flush. The group's lag is reported every 5 s.
 *
 * Every failed flush is retried, retriable or not: a Postgres that is down fails with connection errors that
 * carry no SQLSTATE, and a flush given up would be likes lost. Retrying ends only when the consumer stops: the
 * flush's offsets are then left uncommitted, so the next owner of the partitions writes it.
 */
export async function startConsumer(opts: ConsumerOptions): Promise<RunningConsumer> {
  const { log, config, role } = opts;
  const group = consumerGroup(role);
  const topic = config.LIKEPIPE_KAFKA_TOPIC;
  const consumer = opts.kafka.consumer({
    groupId: group,
    sessionTimeout: config.LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    maxWaitTimeInMs: 250,
  });
  const stopping = new AbortController();

  const write = (batches: PartitionBatch[], span?: Span): Promise<void> =>
    retry((attempt) => opts.apply(batches, { attempt, ...(span ? { span } : {}) }), {
      backoff: FLUSH_BACKOFF,
      retryIf: () => true,
      signal: stopping.signal,
      onRetry: ({ attempt, delayMs, err }) => {
        span?.recordException(err as Error);
        log.warn('flush failed; retrying', { attempt, delayMs, retriable: isRetriable(err), err: err as Error });
      },
    });
  const flush = async (batches: PartitionBatch[], spans: Span[]): Promise<void> => {
    if (!tracingOn()) return write(batches);
    // One span per flush (its Postgres spans nest under it), linked to every traced message it writes.
    const span = startBatchSpan(opts.flushSpanName ?? `${role} batch`, spans, {
      'messaging.batch.message_count': batches.reduce((n, b) => n + b.records.length, 0),
      'messaging.consumer.group.name': group,
      'likepipe.flush.partitions': batches.length,
    });
    return inSpan(span, () => write(batches, span));
  };
  const accumulator = new FlushAccumulator<PartitionBatch>(
    flush,
    config.LIKEPIPE_FLUSH_INTERVAL_MS,
    config.LIKEPIPE_BATCH_SIZE,
    (b) => b.records.length,
  );

  // A join is a rebalance this member took part in: the group's members all stopped consuming for it.
  consumer.on(consumer.events.GROUP_JOIN, () => consumerRebalances.inc({ group }));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    // Every partition's batch must be able to wait on the same flush at once.
    partitionsConsumedConcurrently: 64,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
      if (batch.messages.length === 0) return;
      // A span per traced message (child of its like's trace); it lasts until the flush holding it is written.
      const spans = tracingOn() ? startProcessSpans(batch, group) : [];
      const records = batch.messages.map((m, i) => {
        let event: LikeEvent | null = null;
        try {
          event = parseLikeEvent(m.value);
        } catch (err) {
          malformedEvents.inc({ consumer: role });
          log.warn('skipping malformed record', { partition: batch.partition, offset: m.offset, err: err as Error });
          endSpans([spans[i]], err);
          spans[i] = undefined;
        }
        return { offset: BigInt(m.offset), event };
      });
      if (!isRunning() || isStale()) return endSpans(spans);
      const partitionBatch = { group, topic: batch.topic, partition: batch.partition, records };
      // kafkajs heartbeats only between fetches or when asked to, and a handler waiting on its flush fetches
      // nothing: without this, a flush longer than the session timeout (Postgres down) would get the member
      // dropped from the group, its offset commit refused and its consumer crashed for good.
      const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_INTERVAL_MS);
      try {
        await accumulator.add([partitionBatch], spans);
      } catch (err) {
        endSpans(spans, err);
        throw err;
      } finally {
        clearInterval(keepAlive);
      }
      endSpans(spans);
      // Both steps matter: resolveOffset moves kafkajs's fetch position (without it the batch is fetched
      // again), commitOffsets records progress in the group, and only now that the flush is written.
      resolveOffset(batch.lastOffset());
      const next = (BigInt(batch.lastOffset()) + 1n).toString();
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      await heartbeat();
    },
  });
  const lag = startLagReporter(opts.kafka, group, topic, LAG_INTERVAL_MS, log);
  return {
    async stop() {
      stopping.abort();
      // disconnect() waits for the batches in progress, so a flush being written completes and commits.
      await consumer.disconnect();
      await lag.stop();
    },
  };
}
