import { BatcherClosedError, BatcherOverloadedError } from './errors/index.js';
/**
 * Groups items submitted one by one into batches, gives each submitter its own result, and keeps at most
 * `maxInFlight` batches in flight. Written here rather than taken from a library because it sits on the hot
 * path of every like and its semantics are the contract: a submit resolves only when the batch holding the
 * item was acknowledged, and a failed batch fails each of its items.
 *
 * Batching adapts to load: while a batch is in flight the next one fills up, so a busy API sends large
 * batches and a quiet one sends after `lingerMs`.
 */
export interface MicroBatcherOptions<T = unknown> {
  lingerMs: number;
  maxBatchSize: number;
  /** Submits beyond this many waiting items are refused at once (backpressure instead of unbounded memory). */
  maxQueued: number;
  maxInFlight: number;
  /**
   * With a key, batches overlap (up to `maxInFlight`) but never share a key: an item whose key is in a batch
   * still in flight waits for that batch's acknowledgement, and so do later items with its key, so each key's
   * items are sent, and acknowledged, in submit order. Without one, order holds only with `maxInFlight` 1.
   */
  keyOf?: (item: T) => string;
  onBatch?: (size: number, durationMs: number, ok: boolean) => void;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class MicroBatcher<T> {
  private queue: Pending<T>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  /** Keys of the items in the batches in flight, with how many of each. */
  private readonly keysInFlight = new Map<string, number>();
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly send: (items: T[]) => Promise<void>,
    private readonly opts: MicroBatcherOptions<T>,
  ) {}

  submit(item: T): Promise<void> {
    if (this.closed) return Promise.reject(new BatcherClosedError('the producer is shutting down'));
    if (this.queue.length >= this.opts.maxQueued) {
      return Promise.reject(new BatcherOverloadedError(`more than ${this.opts.maxQueued} events waiting to be sent`));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Stops taking items and resolves when everything queued has been sent (or failed). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0 || this.inFlight > 0) {
      if (this.queue.length > 0 && this.inFlight < this.opts.maxInFlight) {
        const before = this.inFlight;
        this.flush();
        // Nothing sendable (every waiting key is in flight): wait for an acknowledgement instead of spinning.
        if (this.inFlight > before) continue;
      }
      await new Promise<void>((r) => this.idleWaiters.push(r));
    }
  }

  private schedule(): void {
    if (this.inFlight >= this.opts.maxInFlight) return; // the in-flight batch's completion flushes us
    if (this.queue.length >= this.opts.maxBatchSize) {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.opts.lingerMs);
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.queue.length === 0 || this.inFlight >= this.opts.maxInFlight) return;
    const batch = this.take();
    if (batch.length === 0) return; // every key waiting is in flight: an acknowledgement flushes us
    const keys = this.opts.keyOf ? batch.map((p) => this.opts.keyOf!(p.item)) : [];
    for (const k of keys) this.keysInFlight.set(k, (this.keysInFlight.get(k) ?? 0) + 1);
    this.inFlight++;
    const started = performance.now();
    this.send(batch.map((p) => p.item))
      .then(
        () => {
          this.opts.onBatch?.(batch.length, performance.now() - started, true);
          for (const p of batch) p.resolve();
        },
        (err: unknown) => {
          this.opts.onBatch?.(batch.length, performance.now() - started, false);
          for (const p of batch) p.reject(err);
        },
      )
      .finally(() => {
        for (const k of keys) {
          const n = this.keysInFlight.get(k)! - 1;
          if (n === 0) this.keysInFlight.delete(k);
          else this.keysInFlight.set(k, n);
        }
        this.inFlight--;
        // Items that queued up while we were in flight have already waited at least one round trip.
        if (this.queue.length > 0) this.flush();
        if (this.queue.length === 0 && this.inFlight === 0) {
          for (const w of this.idleWaiters.splice(0)) w();
        } else if (this.closed) {
          for (const w of this.idleWaiters.splice(0)) w();
        }
      });
  }

  /** The next batch: the oldest items, skipping any whose key is in flight or behind a skipped item of its key. */
  private take(): Pending<T>[] {
    const keyOf = this.opts.keyOf;
    if (!keyOf || this.keysInFlight.size === 0) return this.queue.splice(0, this.opts.maxBatchSize);
    const batch: Pending<T>[] = [];
    const held: Pending<T>[] = [];
    const blocked = new Set<string>();
    let i = 0;
    for (; i < this.queue.length && batch.length < this.opts.maxBatchSize; i++) {
      const p = this.queue[i]!;
      const k = keyOf(p.item);
      if (this.keysInFlight.has(k) || blocked.has(k)) {
        blocked.add(k);
        held.push(p);
      } else batch.push(p);
    }
    this.queue = held.concat(this.queue.slice(i));
    return batch;
  }
}
