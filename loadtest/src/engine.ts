import http from 'node:http';
import type { Endpoints } from './endpoints.js';
import type { Recorder } from './recorder.js';
import type { PlannedRequest } from './workload.js';

/**
 * The open-model (arrival-rate) generator: arrival i of a segment is due at start + i/rate whatever happened to
 * the ones before it, as k6's constant-arrival-rate executor and wrk2 do; its latency is measured from when it
 * was due. When `maxInFlight` requests are already waiting, an arrival is dropped and counted (k6's
 * dropped_iterations) rather than delayed, so a stalled server cannot slow the load down and hide its stall.
 * Our own rather than autocannon: autocannon paces each connection (closed loop per connection), which sends
 * in bursts and charges a stall to one request instead of to every request due during it.
 */
export class Engine {
  inFlight = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly endpoints: Endpoints,
    private readonly recorder: Recorder,
    private readonly opts: { maxInFlight: number; timeoutMs: number; t0: number },
  ) {}

  now(): number {
    return performance.now() - this.opts.t0;
  }

  /**
   * Dispatches `rate` arrivals per second for `durationMs` from `startMs`; resolves once the last is sent, or
   * at once when `signal` aborts.
   */
  segment(
    phase: string,
    rate: number,
    startMs: number,
    durationMs: number,
    make: () => PlannedRequest,
    signal?: AbortSignal,
  ): Promise<void> {
    const count = Math.round((rate * durationMs) / 1000);
    let i = 0;
    return new Promise((resolve) => {
      const tick = () => {
        if (signal?.aborted) return resolve();
        const now = this.now();
        while (i < count) {
          const due = startMs + (i * 1000) / rate;
          if (due > now) break;
          this.arrive(phase, due, make);
          i++;
        }
        if (i < count) setTimeout(tick, Math.min(5, Math.max(0, startMs + (i * 1000) / rate - this.now())));
        else resolve();
      };
      tick();
    });
  }

  private arrive(phase: string, dueMs: number, make: () => PlannedRequest): void {
    this.recorder.arrival(phase, dueMs);
    if (this.inFlight >= this.opts.maxInFlight) {
      this.recorder.dropped(phase, dueMs);
      return;
    }
    const planned = make();
    const { url, agent } = this.endpoints.pick();
    this.inFlight++;
    let settled = false;
    const finish = (status: number | null, key: string, replayed: boolean) => {
      if (settled) return;
      settled = true;
      this.inFlight--;
      this.recorder.done(phase, dueMs, this.now(), key, planned.settle(status, replayed));
      if (this.inFlight === 0) for (const wake of this.idle.splice(0)) wake();
    };
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: planned.method,
        path: planned.path,
        headers: planned.headers,
        agent,
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          finish(res.statusCode ?? null, String(res.statusCode), res.headers['idempotent-replayed'] === 'true'),
        );
        res.on('error', () => finish(null, 'conn-reset', false));
      },
    );
    req.setTimeout(this.opts.timeoutMs, () => {
      finish(null, 'timeout', false);
      req.destroy();
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish(null, networkErrorKey(err), false));
    req.end();
  }

  /** Resolves when nothing is in flight (every request answered or timed out). */
  drained(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}

function networkErrorKey(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'conn-refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'conn-reset';
    default:
      return 'net-error';
  }
}
