import { consumerGroup, type ConsumerRole } from '@likepipe/contract';
import { parseLikeEvent, type LikeEvent } from '@likepipe/core';
import type { Span } from '@opentelemetry/api';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { startProcessSpans } from '../kafka/tracing.js';
import type { Logger } from '../observability/logger.js';
import { consumerRebalances, consumerStalls, malformedEvents } from '../observability/metrics.js';
import { endSpans, inSpan, startBatchSpan } from '../observability/spans.js';
import { tracingOn } from '../observability/tracing.js';
import type { PartitionBatch } from '../postgres/consumer-progress.js';
import { FlushAccumulator } from './flush-accumulator.js';
import { startLagReporter } from './lag-reporter.js';
import { isRetriable, retry } from './retry.js';
import { StallDetector, type PartitionLag } from './stall-detector.js';

/** The environment every consumer role takes (packages/contract/src/role-env.ts). */
export interface ConsumerConfig {
  KAFKA_BROKERS: string[];
  LIKEPIPE_KAFKA_TOPIC: string;
  LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS: number;
  /** An assigned partition with records waiting and no fetch or commit for this long restarts the consumer. */
  LIKEPIPE_CONSUMER_STALL_TIMEOUT_MS: number;
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
  /** The consumer group; `consumerGroup(role)` unless set (a test's own group, clear of the running roles). */
  group?: string;
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
  /** False from a stall's detection until the restarted consumer has joined its group: the role's /readyz. */
  ready(): boolean;
  /** The kafkajs consumer in use now; the stall watchdog replaces it with a new one when it restarts. */
  current(): Consumer;
}

/** Waits between attempts at a failed flush: 400 ms doubling to 10 s. */
const FLUSH_BACKOFF = { baseMs: 400, maxMs: 10_000 };
const LAG_INTERVAL_MS = 5_000;
const HEARTBEAT_INTERVAL_MS = 3_000;
/** Waits between attempts at starting a restarted consumer (Kafka unreachable): 1 s doubling to 30 s. */
const RESTART_BACKOFF = { baseMs: 1_000, maxMs: 30_000 };

/**
 * The one consumer loop of every consumer role (truth-writer, analytics, notifier, feed-ranker): each fetched
 * partition batch is parsed (malformed records are counted and skipped, never stall a partition) and joins
 * the current flush (runtime/flush-accumulator.ts); the flush is written by `apply` as one unit, retried with
 * backoff while it fails, and only then does each partition resolve and commit its offsets in Kafka, so a
 * crash replays at most one flush. The group's lag is reported every 5 s.
 *
 * That reading of the lag also feeds a watchdog (runtime/stall-detector.ts): kafkajs can leave an assigned
 * partition unfetched for good (after all brokers restart, an OffsetFetch answered NOT_COORDINATOR) while the
 * process looks healthy. A partition with records waiting and no fetch or commit for
 * LIKEPIPE_CONSUMER_STALL_TIMEOUT_MS is logged and counted, and the kafkajs consumer is replaced: the old one
 * leaves the group (finishing the flush in hand), a new one joins and resumes from the committed offsets, so
 * nothing is skipped or written twice beyond what a rebalance replays. The role is not ready meanwhile.
 *
 * Every failed flush is retried, retriable or not: a Postgres that is down fails with connection errors that
 * carry no SQLSTATE, and a flush given up would be likes lost. Retrying ends only when the consumer stops: the
 * flush's offsets are then left uncommitted, so the next owner of the partitions writes it.
 */
export async function startConsumer(opts: ConsumerOptions): Promise<RunningConsumer> {
  const { log, config, role } = opts;
  const group = opts.group ?? consumerGroup(role);
  const topic = config.LIKEPIPE_KAFKA_TOPIC;
  const stopping = new AbortController();

  const write = (batches: PartitionBatch[], span?: Span): Promise<void> =>
    retry(
      (attempt) =>
        opts.apply(batches, { attempt, ...(span ? { span } : {}) }).then(() => detector.flushSucceeded(Date.now())),
      {
        backoff: FLUSH_BACKOFF,
        retryIf: () => true,
        signal: stopping.signal,
        onRetry: ({ attempt, delayMs, err }) => {
          detector.flushFailed();
          span?.recordException(err as Error);
          log.warn('flush failed; retrying', { attempt, delayMs, retriable: isRetriable(err), err: err as Error });
        },
      },
    );
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

  const detector = new StallDetector(config.LIKEPIPE_CONSUMER_STALL_TIMEOUT_MS);
  // The series exists from the start, so a rate or an alert on it reads 0 rather than nothing.
  consumerStalls.inc({ group }, 0);
  const create = (): Consumer => {
    const consumer = opts.kafka.consumer({
      groupId: group,
      sessionTimeout: config.LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      maxWaitTimeInMs: 250,
    });
    // A join is a rebalance this member took part in: the group's members all stopped consuming for it.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      consumerRebalances.inc({ group });
      if (consumer !== current) return;
      detector.assigned(payload.memberAssignment[topic] ?? []);
      if (consumer === awaitingJoin) awaitingJoin = undefined;
    });
    // After a crash it will retry, kafkajs leaves the group and rejoins by itself (it did so for seconds on end
    // while Kafka restarted): its partitions are not fetched meanwhile, and the next join says which are ours.
    // One it will not retry (e.g. "the coordinator is not aware of this member" after a long Postgres outage)
    // leaves a dead consumer: restart it now rather than after the watchdog's stall timeout (60 s, which one CI
    // run spent with every partition of the feed-ranker unread).
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (consumer !== current) return;
      if (payload.restart) detector.reset();
      else restartOnce('consumer crashed and kafkajs will not restart it', { err: payload.error });
    });
    return consumer;
  };
  const start = async (consumer: Consumer): Promise<void> => {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Every partition's batch must be able to wait on the same flush at once.
      partitionsConsumedConcurrently: 64,
      eachBatch: async (payload) => {
        detector.batchStarted(payload.batch.partition, Date.now());
        try {
          await handleBatch(consumer, payload);
        } finally {
          detector.batchEnded(payload.batch.partition, Date.now());
        }
      },
    });
  };
  const handleBatch = async (
    consumer: Consumer,
    { batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload,
  ): Promise<void> => {
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
  };

  let current = create();
  /** The restarted consumer until it has joined its group: the role is not ready meanwhile. */
  let awaitingJoin: Consumer | undefined;
  let restarting: Promise<void> | undefined;
  const restart = async (): Promise<void> => {
    detector.reset();
    // disconnect() sends LeaveGroup, so the partitions are reassigned at once rather than after the session
    // timeout, and waits for the batches in progress: a flush being written completes and commits first.
    await current
      .disconnect()
      .catch((err: unknown) => log.warn('stalled consumer did not leave cleanly', { err: err as Error }));
    if (stopping.signal.aborted) return;
    await retry(
      async () => {
        const next = create();
        current = next;
        awaitingJoin = next;
        try {
          await start(next);
        } catch (err) {
          await next.disconnect().catch(() => undefined);
          throw err;
        }
      },
      {
        backoff: RESTART_BACKOFF,
        retryIf: () => true,
        signal: stopping.signal,
        onRetry: ({ attempt, delayMs, err }) =>
          log.warn('could not restart the consumer; retrying', { attempt, delayMs, err: err as Error }),
      },
    );
    log.info('consumer restarted', { group, topic });
  };
  const watch = (lags: PartitionLag[]): void => {
    if (restarting || stopping.signal.aborted) return;
    const stalls = detector.observe(lags, Date.now());
    if (stalls.length === 0) return;
    for (const s of stalls) {
      consumerStalls.inc({ group });
      log.error('partition stalled: records waiting, nothing fetched or committed; restarting the consumer', {
        role,
        group,
        topic,
        partition: s.partition,
        lag: s.lag,
        stalledSeconds: Math.round(s.stalledMs / 1000),
      });
    }
    restartOnce('partitions stalled', { partitions: stalls.length });
  };
  /** One restart at a time, whoever asks (the watchdog, a crash kafkajs gives up on). */
  function restartOnce(reason: string, details: Record<string, unknown>): void {
    if (restarting || stopping.signal.aborted) return;
    log.warn('restarting the consumer', { group, topic, reason, ...details });
    restarting = restart()
      .catch((err: unknown) => log.error('consumer restart abandoned', { err: err as Error }))
      .finally(() => {
        restarting = undefined;
      });
  }

  await start(current);
  const lag = startLagReporter(opts.kafka, group, topic, LAG_INTERVAL_MS, log, watch);
  return {
    async stop() {
      stopping.abort();
      // No restart starts after this; one under way ends at its next step.
      await lag.stop();
      await restarting;
      // disconnect() waits for the batches in progress, so a flush being written completes and commits.
      await current.disconnect();
    },
    ready: () => restarting === undefined && awaitingJoin === undefined,
    current: () => current,
  };
}
