import { SplitPosts } from '@likepipe/pipeline/redis/split-posts.js';

describe('SplitPosts (a process’s view of split posts)', () => {
  test('holds only split layouts, and forgets a post that went back to one slot', () => {
    const s = new SplitPosts({ layoutTtlMs: 60_000, countTtlMs: 60_000, max: 10 });
    s.learn('a', { shards: 1, epoch: '' });
    expect(s.layout('a')).toBeUndefined();
    s.learn('a', { shards: 8, epoch: 'e1' });
    expect(s.layout('a')).toEqual({ shards: 8, epoch: 'e1' });
    s.learn('a', { shards: 1, epoch: '' });
    expect(s.layout('a')).toBeUndefined();
  });

  test('a like answers with the last sum plus this process’s changes, summing once per TTL', async () => {
    const s = new SplitPosts({ layoutTtlMs: 60_000, countTtlMs: 60_000, max: 10 });
    let sums = 0;
    const sum = async () => {
      sums++;
      return 100;
    };
    // The first like reads the sum (which already holds it); later ones add their own change to it.
    expect(await s.countAfter('p', 1, sum)).toBe(100);
    expect(await s.countAfter('p', 1, sum)).toBe(101);
    expect(await s.countAfter('p', -1, sum)).toBe(100);
    expect(await s.countAfter('p', 0, sum)).toBe(100);
    expect(sums).toBe(1);
  });

  test('concurrent first likes share one sum', async () => {
    const s = new SplitPosts({ layoutTtlMs: 60_000, countTtlMs: 60_000, max: 10 });
    let sums = 0;
    const sum = () =>
      new Promise<number>((resolve) => {
        sums++;
        setTimeout(() => resolve(7), 10);
      });
    const all = await Promise.all([s.countAfter('p', 1, sum), s.countAfter('p', 1, sum)]);
    expect(sums).toBe(1);
    expect(all).toEqual([7, 7]);
  });
});
