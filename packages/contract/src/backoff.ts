/** Exponential backoff: how long to wait before retry `attempt` (1-based), doubling from `baseMs` up to `maxMs`. */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/**
 * The delay before attempt `attempt` + 1, after `attempt` failures: baseMs, 2·baseMs, 4·baseMs, … capped at
 * maxMs. The one backoff of every retry in every process (the pipeline's flushes, webhook pushes and
 * ensure-topic, the operator's work queue and watch restarts), so logs and runbooks read one schedule. No
 * jitter: the callers are few per process (one flush, one push loop, one init container, one key), so they
 * do not stampede. (The browser SDK, packages/client, keeps its own jittered backoff: thousands of clients
 * retrying against one API must spread out, and it has no dependencies.) The exponent is bounded so a long outage cannot overflow to Infinity·0.
 */
export function backoffMs(attempt: number, backoff: Backoff): number {
  const doublings = Math.min(Math.max(0, attempt - 1), 30);
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** doublings);
}
