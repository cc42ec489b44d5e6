/**
 * Drives a producer the way the like-API does: every event is its own submit to our MicroBatcher (the one in
 * packages/core, with the like-API's defaults: 2 ms linger, batches of up to 1,000, 4 in flight, never two
 * batches with the same key in flight), and each submit resolves when its batch has acks=all. Either at a fixed
 * offered rate (open loop: events are submitted on schedule whether or not earlier ones were acknowledged) or
 * at the most the client can do (closed loop: a fixed number of submits always outstanding, like that many
 * concurrent requests).
 */
import { MicroBatcher } from '@likepipe/core';
import { makeEvent, type BenchEvent } from './events.ts';
import type { BenchProducer } from './types.ts';

export const BATCHER = { lingerMs: 2, maxBatchSize: 1_000, maxQueued: 50_000, maxInFlight: 4 } as const;

export interface LoadOptions {
  /** Events per second; 0 means closed loop with `concurrency` outstanding. */
  rate: number;
  concurrency: number;
  durationMs: number;
  /** Keep the ids of acknowledged events (for a read-back). */
  keepIds: boolean;
  /**
   * Bypass our MicroBatcher: every event is its own send() and the client batches by itself. librdkafka's
   * natural use, measured beside the batched shape for confluent only.
   */
  direct?: boolean;
}

export interface LoadRun {
  startedAt: number;
  /** performance.now() at submit, per event, in submit order. */
  submitAt: number[];
  /** Ack (or failure) time per event, NaN while pending; `ok` says which. */
  doneAt: number[];
  ok: boolean[];
  ackedIds: string[];
  errors: Map<string, number>;
  batches: number;
}

export class Load {
  private readonly batcher: MicroBatcher<BenchEvent>;
  private seq = 0;
  private stopped = false;
  readonly run: LoadRun = {
    startedAt: 0,
    submitAt: [],
    doneAt: [],
    ok: [],
    ackedIds: [],
    errors: new Map(),
    batches: 0,
  };

  private readonly opts: LoadOptions;

  private readonly producer: BenchProducer;
  private readonly direct = new Set<Promise<void>>();

  constructor(producer: BenchProducer, opts: LoadOptions) {
    this.opts = opts;
    this.producer = producer;
    this.batcher = new MicroBatcher<BenchEvent>((items) => producer.send(items), {
      ...BATCHER,
      keyOf: (e) => e.key,
      onBatch: () => void this.run.batches++,
    });
  }

  /** Runs for durationMs, then waits for every submitted event to be acknowledged or failed. */
  async start(): Promise<LoadRun> {
    this.run.startedAt = performance.now();
    const end = this.run.startedAt + this.opts.durationMs;
    if (this.opts.rate > 0) {
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const now = performance.now();
          if (now >= end || this.stopped) {
            clearInterval(timer);
            resolve();
            return;
          }
          const due = Math.floor(((now - this.run.startedAt) / 1000) * this.opts.rate);
          while (this.seq < due) this.submit();
        }, 1);
      });
    } else {
      await new Promise<void>((resolve) => {
        let outstanding = 0;
        const next = (): void => {
          if (performance.now() >= end || this.stopped) {
            if (outstanding === 0) resolve();
            return;
          }
          outstanding++;
          void this.submit().finally(() => {
            outstanding--;
            next();
          });
        };
        for (let i = 0; i < this.opts.concurrency; i++) next();
      });
    }
    await this.batcher.close();
    // Direct sends are not the batcher's: wait for the ones still out.
    await Promise.allSettled(this.direct);
    return this.run;
  }

  stop(): void {
    this.stopped = true;
  }

  private sendDirect(event: BenchEvent): Promise<void> {
    const p = this.producer.send([event]);
    this.direct.add(p);
    const forget = () => void this.direct.delete(p);
    p.then(forget, forget);
    return p;
  }

  private submit(): Promise<void> {
    const i = this.seq++;
    const event = makeEvent(i);
    const run = this.run;
    run.submitAt.push(performance.now());
    run.doneAt.push(Number.NaN);
    run.ok.push(false);
    const sent = this.opts.direct ? this.sendDirect(event) : this.batcher.submit(event);
    return sent.then(
      () => {
        run.doneAt[i] = performance.now();
        run.ok[i] = true;
        if (this.opts.keepIds) run.ackedIds.push(event.id);
      },
      (err: unknown) => {
        run.doneAt[i] = performance.now();
        const name = err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 160) : String(err);
        run.errors.set(name, (run.errors.get(name) ?? 0) + 1);
      },
    );
  }
}
