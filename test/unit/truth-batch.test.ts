import { planTruthBatch, type LikeEvent } from '@likepipe/core';

let seq = 0;
const ev = (type: 'like' | 'unlike', postId: string, userId: string, redisBypassed = false): LikeEvent => ({
  v: 1,
  id: `e${++seq}`,
  type,
  postId,
  userId,
  at: new Date(1_700_000_000_000 + seq).toISOString(),
  redisBypassed,
});

describe('planTruthBatch', () => {
  it('keeps the last intent per (post, user)', () => {
    const plan = planTruthBatch([
      ev('like', 'p', 'a'),
      ev('unlike', 'p', 'a'),
      ev('like', 'p', 'a'),
      ev('like', 'p', 'b'),
      ev('unlike', 'p', 'b'),
    ]);
    expect(plan.likes.map((l) => l.userId)).toEqual(['a']);
    expect(plan.unlikes).toEqual([{ postId: 'p', userId: 'b' }]);
    expect(plan.events).toBe(5);
  });

  it('is the same plan when a batch is replayed twice in a row (idempotent under replay)', () => {
    const batch = [ev('like', 'p', 'a'), ev('like', 'q', 'a'), ev('unlike', 'p', 'a')];
    const once = planTruthBatch(batch);
    const twice = planTruthBatch([...batch, ...batch]);
    expect(twice.likes.map((l) => [l.postId, l.userId])).toEqual(once.likes.map((l) => [l.postId, l.userId]));
    expect(twice.unlikes).toEqual(once.unlikes);
  });

  it('collects the posts whose events bypassed Redis', () => {
    const plan = planTruthBatch([ev('like', 'p', 'a', true), ev('like', 'q', 'a'), ev('like', 'p', 'b', true)]);
    expect(plan.bypassedPosts).toEqual(['p']);
  });

  it('never lists a pair twice', () => {
    const events = Array.from({ length: 200 }, (_, i) => ev(i % 3 ? 'like' : 'unlike', `p${i % 4}`, `u${i % 7}`));
    const plan = planTruthBatch(events);
    const keys = [...plan.likes, ...plan.unlikes].map((x) => `${x.postId}/${x.userId}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
