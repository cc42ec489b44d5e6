import type { Span } from '@opentelemetry/api';

/**
 * Gathers what every partition handler of a consumer hands in into one flush, so Postgres sees one transaction
 * per flush interval (or per `batchSize` events), not one per partition batch: with 12 partitions and a fetch
 * every few milliseconds, per-batch transactions would outnumber the likes at moderate load. Each partition's
 * handler waits on the flush that holds its items, then commits its own offsets: offsets move only after
 * Postgres has committed. Used by the consumer runtime (consumer-runtime.ts), whose items are partition
 * batches weighed by their records.
 */
export class FlushAccumulator<T> {
  private items: T[] = [];
  private weight = 0;
  /** The `process` spans of the traced messages among `items`, for the flush span's links. */
  private spans: Span[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly flush: (items: T[], spans: Span[]) => Promise<void>,
    private readonly intervalMs: number,
    private readonly batchSize: number,
    private readonly weigh: (item: T) => number = () => 1,
  ) {}

  add(items: readonly T[], spans: readonly (Span | undefined)[] = []): Promise<void> {
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    for (const item of items) {
      this.items.push(item);
      this.weight += this.weigh(item);
    }
    for (const s of spans) if (s) this.spans.push(s);
    if (this.weight >= this.batchSize) void this.flushNow();
    else this.timer ??= setTimeout(() => void this.flushNow(), this.intervalMs);
    return p;
  }

  private async flushNow(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // One flush at a time: a second one would race the first for the same rows.
    while (this.flushing) await this.flushing;
    if (this.waiters.length === 0) return;
    const items = this.items;
    const spans = this.spans;
    const waiters = this.waiters;
    this.items = [];
    this.weight = 0;
    this.spans = [];
    this.waiters = [];
    this.flushing = this.flush(items, spans).then(
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
