import type { Cluster } from 'ioredis';
import { redisKeys } from '@likepipe/pipeline/redis/keys.js';
import {
  API_B,
  call,
  closeClients,
  createPost,
  db,
  expectConverged,
  like,
  likedPost,
  pool,
  redisCluster,
  stack,
  truthOf,
  uid,
  unlike,
  waitHealthy,
} from '../support/stack.js';

/** Invariants 1-3 on the happy path, against the real Redis Cluster, Kafka and Postgres. */

let redis: Cluster;
// Start from a healthy stack whatever an earlier test file broke (jest runs the files one after another).
beforeAll(async () => {
  await waitHealthy();
  redis = redisCluster();
});
afterAll(async () => {
  redis.disconnect();
  await closeClients();
});

describe('the like path', () => {
  it('counts a hot post exactly: 600 users, 64 at a time, over two API processes', async () => {
    const postId = await createPost();
    const users = Array.from({ length: 600 }, (_, i) => `hot-${postId}-${i}`);
    const replies = await pool(users, 64, (u, i) => like(u, postId, i % 2 ? { base: API_B } : {}));
    expect(replies.map((r) => r.status)).toEqual(users.map(() => 200));
    expect(replies.every((r) => r.body.changed === true)).toBe(true);
    // Each like saw a distinct count: the Redis counter is atomic.
    expect(new Set(replies.map((r) => r.body.likeCount)).size).toBe(600);
    expect(Math.max(...replies.map((r) => r.body.likeCount))).toBe(600);
    await expectConverged(postId, 600);
  });

  it('counts a user who likes twice once', async () => {
    const postId = await createPost();
    const u = uid('twice');
    const first = await like(u, postId);
    const second = await like(u, postId);
    expect(first.body).toEqual({ postId, liked: true, changed: true, likeCount: 1 });
    expect(second.body).toEqual({ postId, liked: true, changed: false, likeCount: 1 });
    // Concurrent duplicates too.
    const burst = await Promise.all(Array.from({ length: 20 }, () => like(u, postId)));
    expect(burst.every((r) => r.status === 200 && r.body.changed === false && r.body.likeCount === 1)).toBe(true);
    await expectConverged(postId, 1);
  });

  it('like → unlike → like ends liked, counted once', async () => {
    const postId = await createPost();
    const u = uid('toggle');
    expect((await like(u, postId)).body).toMatchObject({ liked: true, changed: true, likeCount: 1 });
    expect((await unlike(u, postId)).body).toMatchObject({ liked: false, changed: true, likeCount: 0 });
    expect((await unlike(u, postId)).body).toMatchObject({ liked: false, changed: false, likeCount: 0 });
    expect((await like(u, postId)).body).toMatchObject({ liked: true, changed: true, likeCount: 1 });
    await expectConverged(postId, 1);
    const g = await call('GET', `/api/posts/${postId}`, { user: u });
    expect(g.body.likedByMe).toBe(true);
    const other = await call('GET', `/api/posts/${postId}`, { user: uid('other') });
    expect(other.body.likedByMe).toBe(false);
  });

  it('sends no writes to Postgres from the like and unlike paths; the truth-writer batches them', async () => {
    const postId = await createPost();
    const users = Array.from({ length: 300 }, (_, i) => `nw-${postId}-${i}`);
    const writeCalls = async () => {
      const { rows } = await db.query<{ query: string; calls: string }>(
        `SELECT query, calls FROM pg_stat_statements
         WHERE query ~* '(insert\\s+into|update|delete\\s+from)\\s+(likes|posts)\\M'`,
      );
      const total = rows.reduce((s, r) => s + Number(r.calls), 0);
      const batches = rows.filter((r) => r.query.includes('apply-like-batch')).reduce((s, r) => s + Number(r.calls), 0);
      return { total, batches };
    };
    await stack('app', 'stop', 'truth-writer');
    try {
      const before = await writeCalls();
      const replies = await pool(users, 32, async (u, i) =>
        i % 3 === 0 ? (await like(u, postId), unlike(u, postId)) : like(u, postId),
      );
      expect(replies.every((r) => r.status === 200)).toBe(true);
      const during = await writeCalls();
      expect(during.total - before.total).toBe(0);
      expect((await truthOf(postId)).likeCount).toBe(0);

      await stack('app', 'start', 'truth-writer', 'truth-writer');
      await expectConverged(postId, 200);
      const after = await writeCalls();
      // 400 like/unlike requests became a handful of batch statements (one per flush).
      expect(after.batches - during.batches).toBeGreaterThan(0);
      expect(after.batches - during.batches).toBeLessThanOrEqual(5);
    } finally {
      await stack('app', 'start', 'truth-writer', 'truth-writer');
    }
  });

  it('serves GET from Redis and rebuilds a post whose Redis keys were lost', async () => {
    const postId = await likedPost('lost', 10);
    await redis.del(redisKeys.post(postId), redisKeys.likers(postId));
    const g = await call('GET', `/api/posts/${postId}`, { user: 'lost-3' });
    expect(g.body).toMatchObject({ likeCount: 10, likedByMe: true });
    expect(await redis.scard(redisKeys.likers(postId))).toBe(10);
    // Dedup still holds after the rebuild.
    expect((await like('lost-4', postId)).body).toMatchObject({ changed: false, likeCount: 10 });
  });

  it('repairs a Redis counter and dedup set that drifted from the truth (the reconciler)', async () => {
    const postId = await likedPost('drift', 12);
    // What a lost replica write or a bug would leave behind: a wrong counter and a stranger in the set.
    await redis.hset(redisKeys.post(postId), 'count', '999');
    await redis.srem(redisKeys.likers(postId), 'drift-0');
    await redis.sadd(redisKeys.likers(postId), 'never-liked');
    await expectConverged(postId, 12);
    expect(await redis.sismember(redisKeys.likers(postId), 'drift-0')).toBe(1);
    expect(await redis.sismember(redisKeys.likers(postId), 'never-liked')).toBe(0);
  });

  it('folds each event into Postgres once: the truth-writer does not re-read what it committed', async () => {
    const flushedEvents = async () => {
      const res = await fetch(`http://127.0.0.1:${process.env.LIKEPIPE_TRUTH_WRITER_METRICS_PORT ?? 9564}/metrics`);
      const m = /^likepipe_truth_flush_events_sum (\d+)/m.exec(await res.text());
      return Number(m?.[1] ?? NaN);
    };
    const postId = await createPost();
    // Let the events of earlier tests land first: the count must be still across a few flush intervals.
    let before = await flushedEvents();
    for (;;) {
      await new Promise((r) => setTimeout(r, 1_500));
      const now = await flushedEvents();
      if (now === before) break;
      before = now;
    }
    await pool(
      Array.from({ length: 250 }, (_, i) => `once-${i}`),
      16,
      (u) => like(u, postId),
    );
    await expectConverged(postId, 250);
    // Quiet for several flush intervals: a consumer that loses its position keeps re-flushing old events.
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await flushedEvents()) - before).toBe(250);
  });
});
