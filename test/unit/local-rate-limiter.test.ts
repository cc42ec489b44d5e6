import { LocalRateLimiter } from '@likepipe/core';

describe('LocalRateLimiter (sliding-window log)', () => {
  it('admits exactly `limit` in a window and tells when the next slot frees', () => {
    let now = 1_000_000;
    const rl = new LocalRateLimiter(3, 60_000, { now: () => now });
    expect([rl.tryAcquire('u'), rl.tryAcquire('u'), rl.tryAcquire('u')]).toEqual([0, 0, 0]);
    now += 10_000;
    expect(rl.tryAcquire('u')).toBe(50_000);
    now += 50_000;
    // all three earlier admissions have now left the window
    expect([rl.tryAcquire('u'), rl.tryAcquire('u'), rl.tryAcquire('u')]).toEqual([0, 0, 0]);
    expect(rl.tryAcquire('u')).toBe(60_000);
  });

  it('slides: admissions leave the window one by one, not all at once', () => {
    let now = 0;
    const rl = new LocalRateLimiter(2, 1_000, { now: () => now });
    rl.tryAcquire('u');
    now = 500;
    rl.tryAcquire('u');
    now = 1_000;
    expect(rl.tryAcquire('u')).toBe(0);
    expect(rl.tryAcquire('u')).toBe(500);
  });

  it('keeps users apart', () => {
    const rl = new LocalRateLimiter(1, 1_000, { now: () => 0 });
    expect(rl.tryAcquire('a')).toBe(0);
    expect(rl.tryAcquire('b')).toBe(0);
    expect(rl.tryAcquire('a')).toBeGreaterThan(0);
  });
});
