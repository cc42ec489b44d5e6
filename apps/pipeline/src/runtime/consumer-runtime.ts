import { backoffMs, consumerGroup, type ConsumerRole } from '@likepipe/contract';
import { parseLikeEvent, type LikeEvent } from '@likepipe/core';
import type { Span } from '@opentelemetry/api';
import { findErrorBy, stringDeserializer, type CommitOptionsPartition, type Message } from '@platformatic/kafka';
import type { KafkaClients, KafkaConsumer } from '../kafka/client.js';
import { startProcessSpans } from '../kafka/tracing.js';
import type { Logger } from '../observability/logger.js';
import { consumerRebalances, consumerStalls, malformedEvents } from '../observability/metrics.js';
import { endSpans, inSpan, startBatchSpan } from '../observability/spans.js';
import { tracingOn } from '../observability/tracing.js';
import type { PartitionBatch } from '../postgres/consumer-progress.js';
import { FlushAccumulator } from './flush-accumulator.js';
import { startLagReporter } from './lag-reporter.js';
import { isRetriable, retry, sleep } from './retry.js';
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
  kafka: KafkaClients;
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
  /** False from a restart's start until the restarted consumer has joined its group: the role's /readyz. */
  ready(): boolean;
  /** The Kafka consumer in use now; a restart (the stall watchdog, a failed stream) replaces it with a new one. */
  current(): KafkaConsumer;
}

/** Waits between attempts at a failed flush: 400 ms doubling to 10 s. */
const FLUSH_BACKOFF = { baseMs: 400, maxMs: 10_000 };
const LAG_INTERVAL_MS = 5_000;
const HEARTBEAT_INTERVAL_MS = 3_000;
/** How long the group's coordinator waits for every member to rejoin after a rebalance starts. */
const REBALANCE_TIMEOUT_MS = 60_000;
/** Waits between attempts at starting a consumer (Kafka unreachable, or not ready yet): 1 s doubling to 30 s. */
const RESTART_BACKOFF = { baseMs: 1_000, maxMs: 30_000 };
/**
 * A stream that fails (a partition leader's broker lost, past the client's retries) is replaced by a new stream of
 * the same member, which asks for fresh metadata and so finds the new leader, after 0.5, 1, 2, 4 and 4 s; only
 * then is the consumer restarted, which leaves and rejoins the group: a rebalance that stops every member of it.
 */
const STREAM_RESUME_BACKOFF = { baseMs: 500, maxMs: 4_000 };
const STREAM_RESUMES = 5;
/** Commits that may fail in a row (each after the client's own retries) before the consumer is restarted. */
const COMMIT_FAILURES_TOLERATED = 5;

/** About 200 like events: a fetch a few times a second at a few hundred likes/s, more often only when busier. */
const FETCH_MIN_BYTES = 64 * 1024;
/** The most a record waits in Kafka for a fetch to fill: small beside the 1 s flush interval the roles write at. */
const FETCH_MAX_WAIT_MS = 250;

type Fetched = Message<Buffer, Buffer, string, string>;

/** One member of the group: its client, the message stream it consumes and the loop reading that stream. */
interface Member {
  consumer: KafkaConsumer;
  loop?: Promise<void>;
  /** The batch being handled now (parsed, flushed, committed). */
  inHand?: Promise<void>;
  /** Set once it is being closed: its loop takes no further batch. */
  closing: boolean;
  /** Aborted when it is being closed: ends a wait before opening a new stream. */
  closed: AbortController;
  /** Streams that failed since this member last handled a batch. */
  streamFailures: number;
  /** Offset commits that failed in a row. */
  commitFailures: number;
}

/**
 * The one consumer loop of every consumer role (truth-writer, analytics, notifier, feed-ranker). The client
 * (@platformatic/kafka) hands over a stream of single messages, fetched from every partition leader; a batch
 * is what that stream holds when the loop gets to it (what the last fetches delivered, up to
 * LIKEPIPE_BATCH_SIZE records). Each partition's records in it are parsed (malformed ones are counted and
 * skipped, never stall a partition) and join the current flush (runtime/flush-accumulator.ts); the flush is
 * written by `apply` as one unit, retried with backoff while it fails, and only then are the batch's offsets
 * committed in Kafka, so a crash replays at most one flush. The loop takes the next batch only once this one
 * is committed; meanwhile the stream keeps fetching until a flush's worth of records waits. The group's lag is
 * reported every 5 s.
 *
 * Heartbeats run on the client's own timer, whatever the loop is doing, so a flush held longer than the session
 * timeout (Postgres down) keeps the member in its group. A rebalance is joined by the client by itself, and
 * every (re)join starts each assigned partition again at its committed offset: records this process has
 * written already are skipped rather than applied twice, and records of a partition no longer assigned are
 * left to its new owner. A commit Kafka refuses after a rebalance (the generation moved on, the member was
 * dropped, a rebalance is in progress) is logged and the loop goes on: what it covered is written, the next
 * commit of those partitions covers it, and a partition that has moved replays that flush at its new owner.
 *
 * That reading of the lag also feeds a watchdog (runtime/stall-detector.ts): an assigned partition with
 * records waiting and no fetch or commit for LIKEPIPE_CONSUMER_STALL_TIMEOUT_MS is logged and counted, and the
 * consumer is replaced: the old one finishes the batch in hand and leaves the group, a new one joins and
 * resumes from the committed offsets, so nothing is skipped or written twice beyond what a rebalance replays.
 * A rejoin the client gives up on, and commits failing several times in a row, restart the consumer the same
 * way; the role is not ready meanwhile (one failed commit is left to the next, which covers its offsets). A
 * stream that fails (a leader's broker lost, past the client's retries) is first replaced by a new stream of the
 * same member, from the committed offsets, so a leader moving is not a rebalance of the group; only a stream
 * failing again and again (STREAM_RESUMES) restarts the consumer.
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
  /** Per partition, the offset after the last record this process wrote: below it, a record is written. */
  const written = new Map<number, bigint>();

  const detector = new StallDetector(config.LIKEPIPE_CONSUMER_STALL_TIMEOUT_MS);
  // The series exists from the start, so a rate or an alert on it reads 0 rather than nothing.
  consumerStalls.inc({ group }, 0);
  const create = (): Member => {
    const consumer = opts.kafka.consumer({
      groupId: group,
      sessionTimeout: config.LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      rebalanceTimeout: Math.max(REBALANCE_TIMEOUT_MS, config.LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS),
      // The broker holds a fetch until it has FETCH_MIN_BYTES or FETCH_MAX_WAIT_MS has passed. With the client's
      // default (1 byte) every produce request woke every group's fetch: at 347 likes/s the broker spent 1 ms of
      // CPU per like answering fetches of a few records each, and each role ~280 µs handling them.
      minBytes: FETCH_MIN_BYTES,
      maxWaitTime: FETCH_MAX_WAIT_MS,
      autocommit: false,
      // Trace headers as text; keys and values stay bytes.
      deserializers: { headerKey: stringDeserializer, headerValue: stringDeserializer },
    });
    // The client counts the streams reading a topic and rejoins the group (a rebalance) when one starts reading a
    // topic none did. A member's own reference keeps the topic counted between a failed stream and its successor.
    consumer.topics.track(topic);
    const member: Member = {
      consumer,
      closing: false,
      closed: new AbortController(),
      streamFailures: 0,
      commitFailures: 0,
    };
    // A join is a rebalance this member took part in: the group's members all stopped consuming for it.
    consumer.on('consumer:group:join', ({ assignments }) => {
      consumerRebalances.inc({ group });
      if (member !== current) return;
      detector.assigned(assignments?.find((a) => a.topic === topic)?.partitions ?? []);
      if (member === awaitingJoin) awaitingJoin = undefined;
    });
    // The client rejoins by itself when a heartbeat finds the group rebalancing or the member dropped; this is
    // the rejoin it gave up on, which leaves a member that consumes nothing.
    consumer.on('error', (err: Error) => {
      if (member === current && !member.closing) restartOnce('consumer could not rejoin its group', { err });
    });
    return member;
  };
  const start = async (member: Member): Promise<void> => {
    const stream = await member.consumer.consume({
      topics: [topic],
      mode: 'committed',
      // A partition the group never committed is read from its first record.
      fallbackMode: 'earliest',
      // The stream fetches ahead while a batch is being written, up to a flush's worth of records.
      highWaterMark: config.LIKEPIPE_BATCH_SIZE,
    });
    member.loop = consume(member, stream);
  };
  const consume = async (member: Member, stream: AsyncIterable<Fetched> & { readableLength: number }) => {
    const failed = (reason: string, details: Record<string, unknown>) => {
      if (!member.closing && member === current) restartOnce(reason, details);
    };
    let pending: Fetched[] = [];
    try {
      for await (const message of stream) {
        // Closing: what is still buffered is left for the next owner. Leaving the loop here would destroy the
        // stream under the client's own close of it, which then fails and sends no LeaveGroup.
        if (member.closing) continue;
        pending.push(message);
        // The rest of what the last fetches brought is buffered already: it belongs to this batch.
        if (stream.readableLength > 0 && pending.length < config.LIKEPIPE_BATCH_SIZE) continue;
        const batch = pending;
        pending = [];
        member.inHand = handleBatch(member, batch);
        try {
          await member.inHand;
        } catch (err) {
          return failed('a batch could not be handled', { err: err as Error });
        }
        member.streamFailures = 0;
      }
    } catch (err) {
      if (member.closing || member !== current) return;
      // What this stream held unhandled is read again from the committed offsets; what was written is skipped.
      const attempt = ++member.streamFailures;
      if (attempt > STREAM_RESUMES) return failed('consumer stream failed', { err: err as Error, attempt });
      const delayMs = backoffMs(attempt, STREAM_RESUME_BACKOFF);
      log.warn('consumer stream failed; opening a new one in the group', { attempt, delayMs, err: err as Error });
      if (!(await sleep(delayMs, member.closed.signal)) || member.closing || member !== current) return;
      try {
        return await start(member);
      } catch (startErr) {
        return failed('consumer stream could not be reopened', { err: startErr as Error });
      }
    }
    failed('consumer stream ended', {});
  };
  const handleBatch = async (member: Member, messages: Fetched[]): Promise<void> => {
    const assigned = new Set(member.consumer.assignments?.find((a) => a.topic === topic)?.partitions ?? []);
    const byPartition = new Map<number, Fetched[]>();
    for (const m of messages) {
      // Fetched before a rebalance moved its partition elsewhere: the new owner reads it from the commit.
      if (!assigned.has(m.partition)) continue;
      const list = byPartition.get(m.partition);
      if (list) list.push(m);
      else byPartition.set(m.partition, [m]);
    }
    if (byPartition.size === 0) return;
    const startedAt = Date.now();
    for (const p of byPartition.keys()) detector.batchStarted(p, startedAt);
    try {
      await flushAndCommit(member, byPartition);
    } finally {
      const endedAt = Date.now();
      for (const p of byPartition.keys()) detector.batchEnded(p, endedAt);
    }
  };
  const flushAndCommit = async (member: Member, byPartition: Map<number, Fetched[]>): Promise<void> => {
    const batches: PartitionBatch[] = [];
    const spans: (Span | undefined)[] = [];
    const offsets: CommitOptionsPartition[] = [];
    for (const [partition, messages] of byPartition) {
      const done = written.get(partition) ?? 0n;
      const last = messages[messages.length - 1]!;
      const next = last.offset + 1n > done ? last.offset + 1n : done;
      offsets.push({ topic, partition, offset: next, leaderEpoch: last.leaderEpoch });
      // Fetched again after a rejoin (it restarts at the committed offset), but written already.
      const fresh = messages.filter((m) => m.offset >= done);
      if (fresh.length === 0) continue;
      // A span per traced message (child of its like's trace); it lasts until the flush holding it is written.
      const partitionSpans = tracingOn() ? startProcessSpans({ topic, partition, messages: fresh }, group) : [];
      const records = fresh.map((m, i) => {
        let event: LikeEvent | null = null;
        try {
          event = parseLikeEvent(m.value ?? null);
        } catch (err) {
          malformedEvents.inc({ consumer: role });
          log.warn('skipping malformed record', { partition, offset: String(m.offset), err: err as Error });
          endSpans([partitionSpans[i]], err);
          partitionSpans[i] = undefined;
        }
        return { offset: m.offset, event };
      });
      batches.push({ group, topic, partition, records });
      spans.push(...partitionSpans);
    }
    if (batches.length > 0) {
      if (member.closing) return endSpans(spans);
      try {
        await accumulator.add(batches, spans);
      } catch (err) {
        endSpans(spans, err);
        // Retrying only ends when the consumer stops: the offsets stay uncommitted for the next owner.
        if (stopping.signal.aborted) return;
        throw err;
      }
      endSpans(spans);
    }
    for (const o of offsets) written.set(o.partition, o.offset);
    // Only now that the flush is written does the group's progress move.
    await commit(member, offsets);
  };
  const commit = async (member: Member, offsets: CommitOptionsPartition[]): Promise<void> => {
    try {
      await member.consumer.commit({ offsets });
      member.commitFailures = 0;
    } catch (err) {
      const details = { group, topic, partitions: offsets.map((o) => o.partition), err: err as Error };
      // The client has rejoined (or is rejoining) the group and retried the commit already.
      if (findErrorBy(err as Error, 'needsRejoin', true)) {
        log.warn('offset commit refused after a rebalance; the flush is written, a new owner replays it', details);
        return;
      }
      // Kafka unreachable, or the group's coordinator moving with a lost broker: the flush is written and the
      // next commit covers it (a crash meanwhile replays it, which applyOnce's progress rows make exact).
      if (++member.commitFailures <= COMMIT_FAILURES_TOLERATED) {
        log.warn('offset commit failed; the next commit covers it', { ...details, failures: member.commitFailures });
        return;
      }
      if (member === current && !stopping.signal.aborted) restartOnce('offset commit failed', details);
      else log.warn('offset commit failed', details);
    }
  };
  /** Lets the batch in hand finish (its flush written and committed, or abandoned on stop), then leaves. */
  const close = async (member: Member): Promise<void> => {
    member.closing = true;
    member.closed.abort();
    await member.inHand?.catch(() => undefined);
    try {
      // Closing sends LeaveGroup, so the partitions are reassigned at once rather than after the session timeout.
      await member.consumer.close(true);
    } finally {
      await member.loop;
    }
  };

  /**
   * A new member, until it has joined its group and its stream is running. Joining is retried: Kafka may be
   * unreachable, and a cluster just started answers JoinGroup with "coordinator not available" or "loading"
   * for seconds while it creates the offsets topic, longer than the client's own retries.
   */
  const join = (failureMessage: string): Promise<void> =>
    retry(
      async () => {
        const next = create();
        current = next;
        awaitingJoin = next;
        try {
          await start(next);
        } catch (err) {
          next.closing = true;
          await next.consumer.close(true).catch(() => undefined);
          throw err;
        }
      },
      {
        backoff: RESTART_BACKOFF,
        retryIf: () => true,
        signal: stopping.signal,
        onRetry: ({ attempt, delayMs, err }) => log.warn(failureMessage, { attempt, delayMs, err: err as Error }),
      },
    );
  let current: Member;
  /** The restarted consumer until it has joined its group: the role is not ready meanwhile. */
  let awaitingJoin: Member | undefined;
  let restarting: Promise<void> | undefined;
  const restart = async (): Promise<void> => {
    detector.reset();
    await close(current).catch((err: unknown) =>
      log.warn('stalled consumer did not leave cleanly', { err: err as Error }),
    );
    if (stopping.signal.aborted) return;
    await join('could not restart the consumer; retrying');
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
  /** One restart at a time, whoever asks (the watchdog, a failed stream or commit, a rejoin given up). */
  function restartOnce(reason: string, details: Record<string, unknown>): void {
    if (restarting || stopping.signal.aborted) return;
    log.warn('restarting the consumer', { group, topic, reason, ...details });
    restarting = restart()
      .catch((err: unknown) => log.error('consumer restart abandoned', { err: err as Error }))
      .finally(() => {
        restarting = undefined;
      });
  }

  await join('could not start the consumer; retrying');
  const lag = startLagReporter(opts.kafka, group, topic, LAG_INTERVAL_MS, log, watch);
  return {
    async stop() {
      stopping.abort();
      // No restart starts after this; one under way ends at its next step.
      await lag.stop();
      await restarting;
      await close(current);
    },
    ready: () => restarting === undefined && awaitingJoin === undefined,
    current: () => current.consumer,
  };
}
