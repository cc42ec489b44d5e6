import { backoffMs } from '@likepipe/contract';
import { deliveryBackoffMs } from '@likepipe/core';

/** The one backoff formula (packages/contract/src/backoff.ts) every retry loop uses. */
describe('backoffMs', () => {
  it('doubles from the base after each failure and stops at the cap', () => {
    const b = { baseMs: 400, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffMs(n, b))).toEqual([
      400, 800, 1_600, 3_200, 6_400, 10_000, 10_000, 10_000,
    ]);
  });

  it('stays finite however long the outage (no Infinity or NaN from a huge exponent)', () => {
    expect(backoffMs(10_000, { baseMs: 250, maxMs: 4_000 })).toBe(4_000);
    expect(backoffMs(10_000, { baseMs: 0, maxMs: 4_000 })).toBe(0);
  });

  it('treats attempt 0 or less as the first', () => {
    expect(backoffMs(0, { baseMs: 250, maxMs: 4_000 })).toBe(250);
  });

  it('is what the notification pusher waits between deliveries', () => {
    for (let n = 1; n <= 8; n++)
      expect(deliveryBackoffMs(n, 200, 1_000)).toBe(backoffMs(n, { baseMs: 200, maxMs: 1_000 }));
  });
});
