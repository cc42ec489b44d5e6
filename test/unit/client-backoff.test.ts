import { parseRetryAfter, retryDelayMs } from '../../packages/client/src/backoff.js';

describe('client backoff', () => {
  test('Retry-After in seconds or as an HTTP date; anything else is ignored', () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Tue, 24 Nov 2026 12:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  test('without a hint: full jitter under a doubling, capped ceiling', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(retryDelayMs(1, undefined, policy, () => 0.999)).toBe(99);
    expect(retryDelayMs(3, undefined, policy, () => 0.5)).toBe(200);
    expect(retryDelayMs(10, undefined, policy, () => 0.999)).toBe(999);
    expect(retryDelayMs(4, undefined, policy, () => 0)).toBe(0);
  });

  test("with a Retry-After: the server's wait is a floor, plus up to one base delay of jitter", () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(retryDelayMs(1, 2000, policy, () => 0)).toBe(2000);
    expect(retryDelayMs(5, 2000, policy, () => 0.5)).toBe(2050);
  });
});
