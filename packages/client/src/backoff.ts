/** How long to wait before the next attempt of a retriable request. */
export interface BackoffPolicy {
  /** Upper bound of the first attempt's random wait; doubles each attempt. */
  baseDelayMs: number;
  /** Cap of the doubling (not of a server's Retry-After). */
  maxDelayMs: number;
}

/**
 * Delay before retry number `retry` (1 = the first retry). Without a server hint it is "full jitter"
 * exponential backoff: a million phones that lost the same request at the same moment must not come back in
 * step. With a Retry-After the server's wait is a floor, plus up to one base delay of jitter for the same reason.
 */
export function retryDelayMs(
  retry: number,
  retryAfterMs: number | undefined,
  policy: BackoffPolicy,
  random: () => number,
): number {
  if (retryAfterMs !== undefined) return retryAfterMs + Math.floor(random() * policy.baseDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/** `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3); anything else is ignored. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP-date form starts with a day name; Date.parse alone would also take "-1" or "2026".
  const at = /^[A-Za-z]/.test(trimmed) ? Date.parse(trimmed) : NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
