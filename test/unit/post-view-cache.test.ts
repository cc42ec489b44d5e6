import type { PostView } from '@likepipe/core';
import { LruPostViewCache } from '@likepipe/pipeline/cache/post-view-cache.js';

const view = (likeCount: number): PostView => ({
  id: 'p1',
  authorId: 'a',
  createdAt: '2026-01-01T00:00:00.000Z',
  likeCount,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LruPostViewCache', () => {
  it('lets concurrent misses share one load, then serves from memory until the TTL', async () => {
    const cache = new LruPostViewCache({ max: 10, ttlMs: 100 });
    let loads = 0;
    const load = async () => {
      loads++;
      await sleep(20);
      return view(loads);
    };
    const results = await Promise.all(Array.from({ length: 50 }, () => cache.get('p1', load)));
    expect(loads).toBe(1);
    expect(results.every((v) => v?.likeCount === 1)).toBe(true);
    expect((await cache.get('p1', load))?.likeCount).toBe(1);
    await sleep(120);
    expect((await cache.get('p1', load))?.likeCount).toBe(2);
    expect(loads).toBe(2);
  });

  it('takes a count this process learned without extending the entry, and ignores posts it does not hold', async () => {
    const cache = new LruPostViewCache({ max: 10, ttlMs: 80 });
    let loads = 0;
    const load = async () => view(++loads * 10);
    await cache.get('p1', load);
    cache.setCount('p1', 11);
    expect((await cache.get('p1', load))?.likeCount).toBe(11);
    cache.setCount('p2', 5); // never loaded: nothing cached for it
    expect(await cache.get('p2', async () => null)).toBeNull();
    await sleep(100);
    expect((await cache.get('p1', load))?.likeCount).toBe(20);
  });

  it('passes a failed load to every waiter and caches nothing for it', async () => {
    const cache = new LruPostViewCache({ max: 10, ttlMs: 1000 });
    const failing = async () => {
      await sleep(5);
      throw new Error('redis and postgres both down');
    };
    const all = await Promise.allSettled([cache.get('p1', failing), cache.get('p1', failing)]);
    expect(all.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((await cache.get('p1', async () => view(7)))?.likeCount).toBe(7);
  });
});
