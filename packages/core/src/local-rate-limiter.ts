import type { Clock } from './ports.js';

/**
 * A per-process sliding-window log, the stand-in for the Redis limiter while Redis is bypassed. It is exact
 * per process only (N replicas admit up to N × limit), which is the accepted price of staying up without Redis.
 * Each user's log is a ring buffer of the last `limit` admission times, so memory is bounded per user, and
 * idle users are dropped on a sweep so memory is bounded overall.
 */
export class LocalRateLimiter {
  private readonly logs = new Map<string, { times: number[]; next: number }>();
  private lastSweep = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: Clock,
    private readonly maxUsers = 100_000,
  ) {}

  /** Returns 0 when admitted, else the milliseconds until a slot frees. */
  tryAcquire(userId: string): number {
    const now = this.clock.now();
    this.sweep(now);
    let log = this.logs.get(userId);
    if (!log) {
      if (this.logs.size >= this.maxUsers) return this.windowMs; // refuse rather than grow without bound
      log = { times: [], next: 0 };
      this.logs.set(userId, log);
    }
    if (log.times.length < this.limit) {
      log.times.push(now);
      return 0;
    }
    const oldest = log.times[log.next]!;
    if (now - oldest < this.windowMs) return oldest + this.windowMs - now;
    log.times[log.next] = now;
    log.next = (log.next + 1) % this.limit;
    return 0;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const [user, log] of this.logs) {
      if (log.times.every((t) => now - t >= this.windowMs)) this.logs.delete(user);
    }
  }
}
