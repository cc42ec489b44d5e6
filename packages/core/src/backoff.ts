/** Exponential backoff: how long to wait before retry `attempt` (1-based), doubling from `baseMs` up to `maxMs`. */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/**
 * The delay before attempt `attempt` + 1, after `attempt` failures: baseMs, 2·baseMs, 4·baseMs, … capped at
 * maxMs. No jitter: the callers are few per process (one flush, one push loop, one init container), so they
 * do not stampede. The exponent is bounded so a long outage cannot overflow to Infinity·0.
 */
export function backoffMs(attempt: number, backoff: Backoff): number {
  const doublings = Math.min(Math.max(0, attempt - 1), 30);
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** doublings);
}
