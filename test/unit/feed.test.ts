import {
  bucketWeight,
  FeedService,
  feedScore,
  foldFeedEvents,
  FollowService,
  likesTerm,
  rankFeed,
  recencyTerm,
  relationshipTerm,
  TopKHeap,
  type FeedCandidate,
  type LikeEvent,
} from '@likepipe/core';

const NOW = Date.parse('2026-06-01T12:00:30.000Z');
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();

describe('TopKHeap', () => {
  const byValue = (a: number, b: number) => a > b;

  it('keeps exactly the K largest of many, whatever the order they arrive in', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (const k of [1, 3, 10, 50]) {
      const values = Array.from({ length: 500 }, () => Math.floor(random() * 1000));
      const heap = new TopKHeap<number>(k, byValue);
      for (const v of values) heap.offer(v);
      expect(heap.size).toBe(k);
      expect(heap.drain()).toEqual([...values].sort((a, b) => b - a).slice(0, k));
      expect(heap.size).toBe(0);
    }
  });

  it('holds fewer than K when fewer arrive, nothing for K = 0, and refuses a bad K', () => {
    const heap = new TopKHeap<number>(5, byValue);
    [3, 1, 2].forEach((v) => heap.offer(v));
    expect(heap.drain()).toEqual([3, 2, 1]);
    const none = new TopKHeap<number>(0, byValue);
    expect(none.offer(1)).toBe(false);
    expect(none.drain()).toEqual([]);
    expect(() => new TopKHeap<number>(-1, byValue)).toThrow('k must be a whole number >= 0, got -1');
    expect(() => new TopKHeap<number>(1.5, byValue)).toThrow(RangeError);
  });

  it('pops the weakest kept item first', () => {
    const heap = new TopKHeap<number>(3, byValue);
    [5, 9, 1, 7, 3].forEach((v) => heap.offer(v));
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual([5, 7, 9, undefined]);
  });
});

describe('foldFeedEvents and bucketWeight', () => {
  const ev = (type: 'like' | 'unlike', userId: string, at: string, changed: boolean | null = true): LikeEvent => ({
    v: 1,
    id: `${type}-${userId}-${at}`,
    type,
    postId: 'p1',
    userId,
    at,
    redisBypassed: changed === null,
    changed,
  });

  it('nets likes and unlikes per post and minute of acceptance, ignoring actions that changed nothing', () => {
    const r = foldFeedEvents(
      [
        ev('like', 'a', minutesAgo(0)),
        ev('like', 'b', minutesAgo(0)),
        ev('like', 'a', minutesAgo(0), false), // a repeated like
        ev('unlike', 'b', minutesAgo(0)),
        ev('like', 'c', minutesAgo(3), null), // Redis bypassed: counts
        ev('like', 'd', minutesAgo(30)), // too old for any window
      ],
      NOW,
    );
    expect(r.velocity).toEqual([
      { postId: 'p1', minute: '2026-06-01T12:00:00.000Z', net: 1 },
      { postId: 'p1', minute: '2026-06-01T11:57:00.000Z', net: 1 },
    ]);
    // b liked and unliked: no net affinity. The old like still counts for affinity.
    expect(r.affinity).toEqual([
      { userId: 'a', postId: 'p1', net: 1 },
      { userId: 'c', postId: 'p1', net: 1 },
      { userId: 'd', postId: 'p1', net: 1 },
    ]);
  });

  it('weights the minute buckets so the ten-minute window slides smoothly', () => {
    const minute = (m: number) => Math.floor(NOW / 60_000) * 60_000 - m * 60_000;
    expect(bucketWeight(minute(0), NOW)).toBe(1);
    expect(bucketWeight(minute(9), NOW)).toBe(1);
    // Window starts at 11:50:30: the 11:50 bucket is half inside, 11:49 is out.
    expect(bucketWeight(minute(10), NOW)).toBeCloseTo(0.5, 9);
    expect(bucketWeight(minute(11), NOW)).toBe(0);
  });
});

describe('feed score terms', () => {
  it('maps each term onto [0, 1] the way the README defines it', () => {
    expect(likesTerm(0, 100)).toBe(0);
    expect(likesTerm(100, 100)).toBe(1);
    expect(likesTerm(9, 99)).toBeCloseTo(0.5, 9); // log scale: ln 10 / ln 100
    expect(recencyTerm(0)).toBe(1);
    expect(recencyTerm(6 * 3_600_000)).toBeCloseTo(0.5, 12);
    expect(recencyTerm(-5)).toBe(1);
    expect(relationshipTerm(false, 0)).toBe(0);
    expect(relationshipTerm(true, 0)).toBeCloseTo(0.6, 12);
    expect(relationshipTerm(true, 20)).toBeCloseTo(1, 12);
    expect(relationshipTerm(false, 1000)).toBeCloseTo(0.4, 12);
    expect(feedScore({ likes: 1, recency: 1, relationship: 1 })).toBeCloseTo(1, 12);
  });
});

describe('rankFeed and FeedService', () => {
  const c = (postId: string, velocity: number, ageMin: number, authorId = `author-${postId}`): FeedCandidate => ({
    postId,
    authorId,
    createdAt: minutesAgo(ageMin),
    velocity,
  });

  it('ranks a burst of recent likes above an older, quieter post', () => {
    const items = rankFeed([c('old', 0, 120), c('burst', 40, 5)], new Map(), NOW, 10);
    expect(items.map((i) => i.postId)).toEqual(['burst', 'old']);
  });

  it("ranks a followed author's post above an equal stranger's, and breaks exact ties the same way every time", () => {
    const cands = [c('p1', 10, 5, 'stranger'), c('p2', 10, 5, 'friend')];
    const rel = new Map([['friend', { follows: true, likesOfAuthor: 0 }]]);
    expect(rankFeed(cands, rel, NOW, 10).map((i) => i.postId)).toEqual(['p2', 'p1']);
    // Equal scores: newer first, then by id, in either input order.
    const tie = [c('b', 10, 5), c('a', 10, 5)];
    expect(rankFeed(tie, new Map(), NOW, 10).map((i) => i.postId)).toEqual(['a', 'b']);
    expect(rankFeed([...tie].reverse(), new Map(), NOW, 10).map((i) => i.postId)).toEqual(['a', 'b']);
  });

  it('returns min(K, candidates) items, best first', () => {
    const cands = Array.from({ length: 30 }, (_, i) => c(`p${i}`, i, i));
    for (const k of [1, 7, 30, 100]) {
      const items = rankFeed(cands, new Map(), NOW, k);
      expect(items).toHaveLength(Math.min(k, 30));
      for (let i = 1; i < items.length; i++) expect(items[i - 1]!.score).toBeGreaterThanOrEqual(items[i]!.score);
    }
  });

  it('checks limit and says so; an absent snapshot is an empty feed', async () => {
    const service = new FeedService({
      snapshots: { current: async () => null },
      relationships: { relationships: async () => new Map() },
      clock: { now: () => NOW },
    });
    expect(service.parseLimit(undefined)).toBe(20);
    expect(service.parseLimit('100')).toBe(100);
    for (const bad of ['0', '101', 'x', ['1', '2']]) {
      expect(() => service.parseLimit(bad)).toThrow('query parameter limit: must be a whole number from 1 to 100');
    }
    expect(await service.get('v', 5)).toEqual({ computedAt: null, items: [] });
  });

  it('refuses to let a user follow themselves, without touching the store', async () => {
    const calls: string[] = [];
    const follows = new FollowService({
      follows: {
        follow: async (a, b) => (calls.push(`follow ${a} ${b}`), true),
        unfollow: async (a, b) => (calls.push(`unfollow ${a} ${b}`), true),
      },
      clock: { now: () => NOW },
    });
    await expect(follows.set('u1', 'u1', true)).rejects.toThrow('path parameter id: you cannot follow yourself');
    expect(calls).toEqual([]);
    expect(await follows.set('u1', 'u2', true)).toEqual({ userId: 'u2', following: true, changed: true });
    expect(calls).toEqual(['follow u1 u2']);
  });
});
