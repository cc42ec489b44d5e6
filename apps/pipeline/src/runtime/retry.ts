import { backoffMs, type Backoff } from '@likepipe/contract';
import { isRetriablePgError } from '../postgres/pg-errors.js';

/**
 * Whether the same operation may succeed later, as the error itself says: LikePipeError (ours, in every
 * package) carries a `retriable` flag for exactly this; Postgres says it with a SQLSTATE.
 * Anything else is unknown, hence `false`: each retry policy decides what an unknown error means to it.
 */
export function isRetriable(err: unknown): boolean {
  const flag = (err as { retriable?: unknown } | null)?.retriable;
  if (typeof flag === 'boolean') return flag;
  return isRetriablePgError(err);
}

export interface RetryPolicy {
  backoff: Backoff;
  /** Which failures get another attempt; the others are thrown at once. Default: `isRetriable`. */
  retryIf?: (err: unknown) => boolean;
  /**
   * Once aborted, no further attempt is made and the wait before one ends at once, throwing the last error. An
   * attempt already running is not interrupted, and the first attempt is always made (a stopping consumer
   * still writes the flush in hand).
   */
  signal?: AbortSignal;
  /** No attempt starts after this time (epoch ms); the last wait is shortened to end at it. */
  deadline?: number;
  /** Told about each failure that will be retried, before the wait. */
  onRetry?: (failure: { attempt: number; delayMs: number; err: unknown }) => void;
}

/** Runs `attempt` (1-based count) until it succeeds or the policy says to stop; then throws its last error. */
export async function retry<T>(attempt: (n: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  const retryIf = policy.retryIf ?? isRetriable;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (policy.signal?.aborted || !retryIf(err)) throw err;
      let delayMs = backoffMs(n, policy.backoff);
      if (policy.deadline !== undefined) {
        const left = policy.deadline - Date.now();
        if (left <= 0) throw err;
        delayMs = Math.min(delayMs, left);
      }
      policy.onRetry?.({ attempt: n, delayMs, err });
      if (!(await sleep(delayMs, policy.signal))) throw err;
    }
  }
}

/** Waits `ms`; false when `signal` aborted the wait (or already had). */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (completed: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
