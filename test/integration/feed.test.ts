import { consumerGroup } from '@likepipe/contract';
import { likeEventKey, type LikeEvent } from '@likepipe/core';
import {
  call,
  closeClients,
  createPost,
  db,
  like,
  pool,
  stack,
  readCommittedOffsets,
  readTopicEnds,
  testKafka,
  testProducer,
  TOPIC,
  uid,
  waitFor,
  waitHealthy,
} from '../support/stack.js';

/**
 * The feed-ranker and GET /api/feed on the real stack. Other suites like posts in the same ten minutes, so the
 * feed holds more than this suite's posts: the tests compare their own posts' places and terms, and give them
 * enough likes to sit in the top 100.
 */
const GROUP = consumerGroup('feed-ranker');
const producer = testProducer('feed-test');
const admin = testKafka('feed-test').admin();

beforeAll(() => waitHealthy());
afterAll(async () => {
  await Promise.all([producer.close(), admin.close()]);
  await closeClients();
});

interface Item {
  postId: string;
  authorId: string;
  createdAt: string;
  velocity: number;
  score: number;
  terms: { likes: number; recency: number; relationship: number };
}

const feed = async (viewer: string, limit = 100): Promise<{ computedAt: string | null; items: Item[] }> => {
  const r = await call('GET', `/api/feed?limit=${limit}`, { user: viewer });
  if (r.status !== 200) throw new Error(`GET /api/feed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
const place = (items: Item[], postId: string) => items.findIndex((i) => i.postId === postId);

/** Likes `postId` once from each of `n` fresh users through the API. */
async function likedBy(postId: string, users: string[]): Promise<void> {
  const replies = await pool(users, 16, (u) => like(u, postId));
  expect(replies.every((r) => r.status === 200)).toBe(true);
}
const fans = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** Waits until the feed shows each post with at least the given velocity (the ranker caught up). */
async function feedWith(viewer: string, want: Record<string, number>): Promise<Item[]> {
  return waitFor(`the feed to show ${JSON.stringify(want)}`, async () => {
    const { items } = await feed(viewer);
    return Object.entries(want).every(([id, v]) => (items[place(items, id)]?.velocity ?? -1) >= v) && items;
  });
}

describe('feed-ranker and GET /api/feed', () => {
  it('a post with a burst of likes now ranks above an older post with more likes, all from earlier', async () => {
    const older = await createPost();
    // 40 likes accepted twenty minutes ago (written to Kafka as the API would have): they count in the
    // post's total but not in the last ten minutes.
    const at = new Date(Date.now() - 20 * 60_000).toISOString();
    const events: LikeEvent[] = fans(uid('old-fan'), 40).map((userId, i) => ({
      v: 1,
      id: uid(`old-${i}`),
      type: 'like',
      postId: older,
      userId,
      at,
      redisBypassed: true,
      changed: null,
    }));
    await producer.send({
      messages: events.map((e) => ({ topic: TOPIC, key: likeEventKey(e), value: JSON.stringify(e) })),
    });
    await waitFor('the older likes to reach the truth', async () => {
      const { rows } = await db.query<{ like_count: string }>('SELECT like_count FROM posts WHERE id = $1', [older]);
      return Number(rows[0]?.like_count) === 40;
    });

    const burst = await createPost();
    await likedBy(burst, fans(uid('burst-fan'), 60));
    const viewer = uid('viewer');
    const items = await feedWith(viewer, { [burst]: 60 });

    const b = items[place(items, burst)]!;
    expect(b.velocity).toBe(60);
    expect(b.terms.likes).toBeGreaterThan(0);
    // The older post has no likes in the window: it is either further down or not in the top 100 at all.
    const o = place(items, older);
    if (o >= 0) {
      expect(items[o]!.velocity).toBe(0);
      expect(items[o]!.terms.likes).toBe(0);
      expect(o).toBeGreaterThan(place(items, burst));
    }
    // Scores are what the README says: 0.6 likes + 0.3 recency + 0.1 relationship.
    for (const i of items) {
      const { likes, recency, relationship } = i.terms;
      expect(i.score).toBeCloseTo(0.6 * likes + 0.3 * recency + 0.1 * relationship, 9);
    }
  });

  it("a followed author's post ranks above an equal stranger's, and unfollowing takes that back", async () => {
    const [followed, stranger] = [uid('author'), uid('author')];
    const p1 = await createPost(followed);
    const p2 = await createPost(stranger);
    const likers = fans(uid('twin-fan'), 60);
    await Promise.all([likedBy(p1, likers), likedBy(p2, likers)]);
    const viewer = uid('viewer');

    const follow = await call('PUT', `/api/users/${followed}/follow`, { user: viewer });
    expect(follow.status).toBe(200);
    expect(follow.body).toEqual({ userId: followed, following: true, changed: true });
    expect((await call('PUT', `/api/users/${followed}/follow`, { user: viewer })).body.changed).toBe(false);

    let items = await feedWith(viewer, { [p1]: 60, [p2]: 60 });
    expect(items[place(items, p1)]!.terms.relationship).toBeCloseTo(0.6, 9);
    expect(items[place(items, p2)]!.terms.relationship).toBe(0);
    expect(place(items, p1)).toBeLessThan(place(items, p2));

    // The other way round: the stranger followed, the first author not any more.
    expect((await call('DELETE', `/api/users/${followed}/follow`, { user: viewer })).body).toEqual({
      userId: followed,
      following: false,
      changed: true,
    });
    await call('PUT', `/api/users/${stranger}/follow`, { user: viewer });
    items = (await feed(viewer)).items;
    expect(place(items, p2)).toBeLessThan(place(items, p1));

    // Someone who liked p1's author's post before gets interaction credit without following.
    const fan = likers[0]!;
    const { items: fanItems } = await feed(fan);
    expect(fanItems[place(fanItems, p1)]!.terms.relationship).toBeGreaterThan(0);
    expect(fanItems[place(fanItems, p1)]!.terms.relationship).toBeLessThan(0.6);
  });

  it('returns at most K items, best first, and rejects bad K and self-follows with the parameter named', async () => {
    const post = await createPost();
    await likedBy(post, fans(uid('k-fan'), 3));
    const viewer = uid('viewer');
    await feedWith(viewer, { [post]: 3 });
    for (const k of [1, 2, 5]) {
      const { items } = await feed(viewer, k);
      expect(items).toHaveLength(k);
    }
    const { items } = await feed(viewer, 100);
    for (let i = 1; i < items.length; i++) expect(items[i - 1]!.score).toBeGreaterThanOrEqual(items[i]!.score);
    expect(new Set(items.map((i) => i.postId)).size).toBe(items.length);
    const dflt = await call('GET', '/api/feed', { user: viewer });
    expect(dflt.body.items.length).toBeLessThanOrEqual(20);
    expect(dflt.body.items).toHaveLength(Math.min(20, items.length));

    for (const bad of ['0', '101', 'ten', '-1', '1.5']) {
      const r = await call('GET', `/api/feed?limit=${bad}`, { user: viewer });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toBe('query parameter limit: must be a whole number from 1 to 100');
    }
    const twice = await call('GET', '/api/feed?limit=1&limit=2', { user: viewer });
    expect(twice.status).toBe(400);
    expect((await call('GET', '/api/feed')).status).toBe(401);
    const self = await call('PUT', `/api/users/${viewer}/follow`, { user: viewer });
    expect(self.status).toBe(400);
    expect(self.body.error.message).toBe('path parameter id: you cannot follow yourself');
    const badId = await call('PUT', '/api/users/no%20spaces/follow', { user: viewer });
    expect(badId.status).toBe(400);
    expect(badId.body.error.message).toContain('path parameter id');
  });

  it('is stable under replay: the whole topic read again from the start changes no bucket and no place', async () => {
    const [a, b] = [uid('author'), uid('author')];
    const p1 = await createPost(a);
    const p2 = await createPost(b);
    await likedBy(p1, fans(uid('replay-fan'), 30));
    await likedBy(p2, fans(uid('replay-fan'), 20));
    const viewer = uid('viewer');
    await call('PUT', `/api/users/${b}/follow`, { user: viewer });
    const before = await feedWith(viewer, { [p1]: 30, [p2]: 20 });
    const tables = async () => ({
      buckets: (
        await db.query('SELECT post_id, minute, net FROM feed_velocity_minute WHERE post_id = ANY($1) ORDER BY 1, 2', [
          [p1, p2],
        ])
      ).rows,
      affinity: (
        await db.query(
          'SELECT user_id, author_id, likes FROM user_author_affinity WHERE author_id = ANY($1) ORDER BY 1, 2',
          [[a, b]],
        )
      ).rows,
    });
    const stored = await tables();
    expect(stored.buckets.reduce((s, r) => s + Number(r.net), 0)).toBe(50);
    expect(stored.affinity).toHaveLength(50);

    // Stop the ranker, rewind its consumer group to the start of the topic, start it again.
    await stack('app', 'stop', 'feed-ranker');
    const starts = await readTopicEnds(admin, TOPIC);
    await admin.alterConsumerGroupOffsets({
      groupId: GROUP,
      topics: [
        { name: TOPIC, partitionOffsets: starts.map((p) => ({ partition: p.partition, offset: BigInt(p.low) })) },
      ],
    });
    await stack('app', 'start', 'feed-ranker', 'feed-ranker');
    await waitFor(
      'the ranker to read the topic again',
      async () => {
        const [committed, ends] = await Promise.all([
          readCommittedOffsets(admin, GROUP, TOPIC),
          readTopicEnds(admin, TOPIC),
        ]);
        const end = new Map(ends.map((p) => [p.partition, Number(p.high)]));
        // A partition nothing was ever written to has no offset to commit.
        return committed.every((p) => end.get(p.partition) === 0 || Number(p.offset) === end.get(p.partition));
      },
      90_000,
    );
    // Everything it read again was recognised as applied (the counter is the new process's own).
    expect(await skippedEvents()).toBeGreaterThanOrEqual(50);
    expect(await tables()).toEqual(stored);
    const after = await feedWith(viewer, { [p1]: 30, [p2]: 20 });
    const order = (items: Item[]) => [p1, p2].sort((x, y) => place(items, x) - place(items, y));
    expect(order(after)).toEqual(order(before));
    expect(after[place(after, p1)]!.velocity).toBe(30);
    expect(after[place(after, p2)]!.velocity).toBe(20);
  });
});

/** likepipe_feed_ranker_events_total{outcome="skipped"} of the running ranker (0 when it is not up). */
async function skippedEvents(): Promise<number> {
  const port = process.env.LIKEPIPE_FEED_RANKER_METRICS_PORT ?? '9469';
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = /^likepipe_feed_ranker_events_total\{outcome="skipped"\} (\d+)/m.exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
