import { LikePipeError } from '@likepipe/contract';
import { isRetriable, retry, sleep } from '@likepipe/pipeline/runtime/retry.js';

/** The pipeline's retry helper (apps/pipeline/src/runtime/retry.ts) with real (short) timers. */
class Flaky extends LikePipeError {
  readonly code = 'flaky';
  constructor(override readonly retriable: boolean) {
    super(retriable ? 'try again' : 'never');
  }
}
const fast = { baseMs: 5, maxMs: 20 };

describe('isRetriable', () => {
  it('reads the error’s own retriable flag (ours, or any error’s), else the Postgres SQLSTATE', () => {
    expect(isRetriable(new Flaky(true))).toBe(true);
    expect(isRetriable(new Flaky(false))).toBe(false);
    expect(isRetriable(Object.assign(new Error('kafka'), { retriable: true }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('deadlock'), { code: '40P01' }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('unique violation'), { code: '23505' }))).toBe(false);
    expect(isRetriable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isRetriable(undefined)).toBe(false);
  });
});

describe('retry', () => {
  it('retries retriable errors with backoff until the attempt succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const r = await retry(
      async (n) => {
        calls++;
        if (n < 4) throw new Flaky(true);
        return 'done';
      },
      { backoff: fast, onRetry: ({ delayMs }) => delays.push(delayMs) },
    );
    expect(r).toBe('done');
    expect(calls).toBe(4);
    expect(delays).toEqual([5, 10, 20]);
  });

  it('throws a non-retriable error at once under the default policy', async () => {
    let calls = 0;
    const err = new Flaky(false);
    await expect(
      retry(
        async () => {
          calls++;
          throw err;
        },
        { backoff: fast },
      ),
    ).rejects.toBe(err);
    expect(calls).toBe(1);
  });

  it('retries whatever the policy says to, retriable or not', async () => {
    let calls = 0;
    await retry(
      async () => {
        if (++calls < 3) throw new Error('connect ECONNREFUSED');
      },
      { backoff: fast, retryIf: () => true },
    );
    expect(calls).toBe(3);
  });

  it('stops retrying as soon as it is told to stop, cutting the wait short', async () => {
    const stop = new AbortController();
    let calls = 0;
    const t0 = Date.now();
    const run = retry(
      async () => {
        calls++;
        throw new Flaky(true);
      },
      { backoff: { baseMs: 60_000, maxMs: 60_000 }, signal: stop.signal },
    );
    setTimeout(() => stop.abort(), 50);
    await expect(run).rejects.toBeInstanceOf(Flaky);
    expect(calls).toBe(1);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('still makes the first attempt when already stopped (a stopping consumer writes the flush in hand)', async () => {
    const stop = new AbortController();
    stop.abort();
    expect(await retry(async () => 'written', { backoff: fast, signal: stop.signal })).toBe('written');
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Flaky(true);
        },
        { backoff: fast, signal: stop.signal },
      ),
    ).rejects.toBeInstanceOf(Flaky);
    expect(calls).toBe(1);
  });

  it('gives up at the deadline, shortening the last wait to end at it', async () => {
    const delays: number[] = [];
    const t0 = Date.now();
    await expect(
      retry(
        async () => {
          throw new Flaky(true);
        },
        { backoff: { baseMs: 40, maxMs: 1_000 }, deadline: t0 + 100, onRetry: ({ delayMs }) => delays.push(delayMs) },
      ),
    ).rejects.toBeInstanceOf(Flaky);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(delays[0]).toBe(40);
    expect(delays.at(-1)!).toBeLessThanOrEqual(100);
  });
});

describe('sleep', () => {
  it('resolves true when the time is up and false when aborted', async () => {
    expect(await sleep(5)).toBe(true);
    const stop = new AbortController();
    const s = sleep(60_000, stop.signal);
    stop.abort();
    expect(await s).toBe(false);
  });
});
