/** One partition as the lag reader saw it: its group's committed offset (`-1`: none yet) and its lag. */
export interface PartitionLag {
  partition: number;
  committed: string;
  lag: number;
}

export interface Stall {
  partition: number;
  lag: number;
  stalledMs: number;
}

interface PartitionState {
  committed?: string;
  /** When records were first seen waiting since the last progress; unset while none wait. */
  waitingSince?: number;
  /** The last time a batch of it was fetched or finished. */
  progressAt?: number;
  /** Its batches now in the handler: it is waiting on its flush, not on a fetch. */
  busy: number;
  /** Since when it has had a batch in the handler. */
  busySince?: number;
}

/**
 * Finds the partitions a consumer was assigned but stopped consuming: records waiting (lag > 0) while neither
 * the group's committed offset nor a fetched batch moved for `timeoutMs`. Pure (no timers, no Kafka): the
 * consumer runtime feeds it its assignment, its batches and the lag reader's observations, with the time.
 *
 * A partition whose batch is in the handler is never stalled: it is waiting on its flush (Postgres down), which
 * restarting the consumer would not help and which the flush's retries already report. Nor is any partition
 * while some batch has been in the handler for the whole timeout, nor until a timeout after such a batch is
 * released: the consumer takes its next batch only once the one in hand is written, so one flush that cannot be
 * written holds back partitions that are not in it. A partition the client lost is still found under load:
 * there, batches go through the handler in about a flush interval.
 *
 * The waiting clock starts at the first observation that sees lag, not at the one before: an observation only
 * tells that records arrived since the last one, and a stall declared too early restarts a healthy consumer.
 */
export class StallDetector {
  private readonly partitions = new Map<number, PartitionState>();
  /** When the last batch that held the fetch loop for a whole timeout left the handler. */
  private releasedAt = -Infinity;
  /** While a flush is failing (between its first failure and its success), fetching is not what is stuck. */
  private sinkFailing = false;
  /** When the sink last recovered. */
  private flushFailedAt = -Infinity;

  constructor(private readonly timeoutMs: number) {}

  /**
   * The partitions this member holds after a (re)join. One it kept keeps its clock: a consumer that keeps
   * rejoining without fetching is still stalled. One newly assigned starts afresh.
   */
  assigned(partitions: Iterable<number>): void {
    const now = new Set(partitions);
    for (const p of this.partitions.keys()) if (!now.has(p)) this.partitions.delete(p);
    for (const p of now) if (!this.partitions.has(p)) this.partitions.set(p, { busy: 0 });
  }

  /** Forgets everything: a new consumer starts with no assignment. */
  reset(): void {
    this.partitions.clear();
    this.releasedAt = -Infinity;
    this.flushFailedAt = -Infinity;
    this.sinkFailing = false;
  }

  /**
   * A flush failed and will be retried. No partition counts as stalled while the sink fails, nor until a
   * timeout after a flush went through again: a failing sink holds batches in the handler and, through them,
   * the batches of other partitions, in ways the batch clocks alone did not always tell apart from a lost
   * partition (CI counted two stalls while Postgres writes failed, between retries spaced wider than the
   * timeout); restarting the consumer would not help it either.
   */
  flushFailed(): void {
    this.sinkFailing = true;
  }

  /** A flush went through (after failures, the sink is back: the clocks start again from now). */
  flushSucceeded(now: number): void {
    if (!this.sinkFailing) return;
    this.sinkFailing = false;
    this.flushFailedAt = now;
  }

  batchStarted(partition: number, now: number): void {
    const s = this.partitions.get(partition);
    if (!s) return;
    if (s.busy++ === 0) s.busySince = now;
    s.progressAt = now;
  }

  batchEnded(partition: number, now: number): void {
    const s = this.partitions.get(partition);
    if (!s || s.busy === 0) return;
    if (--s.busy === 0) {
      if (now - s.busySince! >= this.timeoutMs) this.releasedAt = now;
      s.busySince = undefined;
    }
    s.progressAt = now;
  }

  /** Takes one reading of every partition's lag and returns the assigned partitions that are stalled. */
  observe(lags: readonly PartitionLag[], now: number): Stall[] {
    const stalls: Stall[] = [];
    const held = [...this.partitions.values()].some((s) => s.busy > 0 && now - s.busySince! >= this.timeoutMs);
    for (const { partition, committed, lag } of lags) {
      const s = this.partitions.get(partition);
      if (!s) continue;
      const moved = s.committed !== undefined && s.committed !== committed;
      s.committed = committed;
      if (lag <= 0) {
        s.waitingSince = undefined;
        continue;
      }
      if (moved || s.waitingSince === undefined) s.waitingSince = now;
      if (s.busy > 0 || held || this.sinkFailing) continue;
      const stalledMs = now - Math.max(s.waitingSince, s.progressAt ?? -Infinity, this.releasedAt, this.flushFailedAt);
      if (stalledMs >= this.timeoutMs) stalls.push({ partition, lag, stalledMs });
    }
    return stalls;
  }
}
