import type { LikeEvent } from '@likepipe/core';
import type { Span } from '@opentelemetry/api';

/**
 * Gathers events from every partition the truth-writer owns into one flush, so Postgres sees one transaction
 * per flush interval (or per `batchSize` events), not one per partition batch. Each partition's handler
 * waits on the flush that holds its events, then commits its own offsets: offsets move only after Postgres
 * has committed.
 */
export class FlushAccumulator {
  private events: LikeEvent[] = [];
  /** The `process` spans of the traced messages among `events`, for the flush span's links. */
  private spans: Span[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly flush: (events: LikeEvent[], spans: Span[]) => Promise<void>,
    private readonly intervalMs: number,
    private readonly batchSize: number,
  ) {}

  add(events: LikeEvent[], spans: readonly (Span | undefined)[] = []): Promise<void> {
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.events.push(...events);
    for (const s of spans) if (s) this.spans.push(s);
    if (this.events.length >= this.batchSize) void this.flushNow();
    else this.timer ??= setTimeout(() => void this.flushNow(), this.intervalMs);
    return p;
  }

  private async flushNow(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // One flush at a time: a second one would race the first for the same posts' rows.
    while (this.flushing) await this.flushing;
    if (this.waiters.length === 0) return;
    const events = this.events;
    const spans = this.spans;
    const waiters = this.waiters;
    this.events = [];
    this.spans = [];
    this.waiters = [];
    this.flushing = this.flush(events, spans).then(
      () => waiters.forEach((w) => w.resolve()),
      (err: unknown) => waiters.forEach((w) => w.reject(err)),
    );
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }
}
